/** `sidekick port-forward` under load: starting it, and clients that check every byte. */
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { inject } from 'vitest';
import { docker, lines } from '../test/fixtures/docker-cli.js';
import { runCli, startTarget } from '../test/e2e/harness.js';
import { spawnCli, type CliChild } from './cli-process.js';

export interface RunningForward extends CliChild {
  port: number;
}

/** Starts `sidekick port-forward TARGET 0:REMOTE` and waits for its "Forwarding" line. */
export async function startForward(target: string, remotePort: number, env: Record<string, string> = {}): Promise<RunningForward> {
  const cli = spawnCli(['port-forward', target, `0:${remotePort}`], { env, hardLimitMs: 30 * 60_000 });
  const deadline = Date.now() + 60_000;
  for (;;) {
    const port = lines(cli.stdout())
      .map((line) => /^Forwarding 127\.0\.0\.1:(\d+) -> /.exec(line)?.[1])
      .find((p) => p !== undefined);
    if (port !== undefined) return { ...cli, port: Number(port) };
    if (!cli.running() || Date.now() > deadline) {
      cli.child.kill('SIGKILL');
      const end = await cli.ended;
      throw new Error(`port-forward did not start (status ${end.code ?? end.signal}): ${end.stderr.trim()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

export type Outcome =
  | { kind: 'echoed'; bytes: number; same: boolean; head?: string }
  | { kind: 'reset'; bytes: number }
  | { kind: 'error'; code: string; bytes: number };

/**
 * Sends `payload` through the echo server and half-closes; resolves with how the connection
 * ended. A clean end must bring every byte back; an abnormal end must be a reset, never a
 * clean end after a part (or after text that was not sent).
 */
export function echoExchange(port: number, payload: Buffer, timeoutMs = 120_000): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let bytes = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ kind: 'error', code: 'TIMEOUT', bytes });
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.length;
    });
    socket.on('end', () => {
      clearTimeout(timer);
      const back = Buffer.concat(chunks);
      const same = back.length === payload.length && sha256(back) === sha256(payload);
      // What came instead of the data, for the report (an engine's error text, say).
      resolve(same ? { kind: 'echoed', bytes, same } : { kind: 'echoed', bytes, same, head: JSON.stringify(back.subarray(0, 80).toString('latin1')) });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code === 'ECONNRESET' ? { kind: 'reset', bytes } : { kind: 'error', code: error.code ?? error.message, bytes });
    });
    socket.end(payload);
  });
}

/**
 * A client that resets mid-download: sends `payload` without ending, and once `after` bytes
 * have come back destroys the socket with a RST (SO_LINGER 0). Resolves with the bytes seen.
 */
export function resettingClient(port: number, payload: Buffer, after: number, timeoutMs = 60_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let bytes = 0;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`reset client: only ${bytes} of ${after} bytes came back within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes >= after && !socket.destroyed) {
        clearTimeout(timer);
        socket.resetAndDestroy();
        resolve(bytes);
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('end', () => {
      clearTimeout(timer);
      reject(new Error(`reset client: the forward ended the connection after ${bytes} bytes`));
    });
    socket.write(payload);
  });
}

export const randomPayload = (min: number, max: number): Buffer => randomBytes(min + Math.floor(Math.random() * (max - min + 1)));

/** A busybox toolbox image sidekick built (made on first use by a plain exec); it has nc for an echo server. */
export async function toolboxImage(): Promise<string> {
  const find = async (): Promise<string> =>
    lines(await docker(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=sidekick-toolbox:busybox-*']))[0] ?? '';
  if ((await find()) === '') {
    const warm = await startTarget(inject('fixtures').scratchServer);
    try {
      await runCli(['exec', warm.id, '--', 'true']);
    } finally {
      await docker(['rm', '-f', warm.id]);
    }
  }
  const image = await find();
  if (image === '') throw new Error('no sidekick-toolbox image after a first exec');
  return image;
}

/**
 * A target that echoes every byte on port 7000: the tcp-server fixture, a process per
 * connection that is reaped at once and a real backlog. (busybox nc -ll listens with a backlog
 * of 2, and its finished children linger a moment as zombies: a burst of connections through
 * the relay half-completed, and the witnesses counted its zombies as ours.)
 */
export async function echoTargetOptions(): Promise<{ image: string; command: string[] }> {
  return Promise.resolve({ image: inject('fixtures').tcpServer, command: [] });
}
