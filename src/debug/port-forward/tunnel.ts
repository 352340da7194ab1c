import { PassThrough, type Readable, type Writable } from 'node:stream';
import type { ProcessHandle } from '../../core/process-handle.js';

/**
 * One TCP connection inside the target, as an exec in the forwarder: a shell that says it
 * started, reads the port, runs busybox nc, and says how nc ended.
 *
 * - The first byte on stdout is READY. The engine writes its own error text ("cannot exec in
 *   a stopped state") on the same stream when an exec cannot start; without READY first,
 *   whatever came is that text, never data for the client.
 * - On stderr the shell names its PID (so that nc can be ended from outside: the exec API
 *   has no kill) and, at the end, nc's status. A tunnel whose streams end without a status
 *   was killed with its container or lost with the engine: an abnormal end.
 * - nc and cat are killed, never the shell: the shell reaps them and exits on its own,
 *   so nothing is re-parented to the target's PID 1, which would keep it a zombie.
 */
export const TUNNEL_COMMAND = [
  '/bin/sh',
  '-c',
  'printf "\\006" && echo "sidekick-tunnel-pid $$" >&2 && read -r port && set -o pipefail && /bin/nc 127.0.0.1 "$port" | /bin/cat; echo "sidekick-tunnel-status $?" >&2',
  'sidekick-tunnel',
];

const READY = 0x06;
const PID_LINE = /^sidekick-tunnel-pid (\d+)$/;
const STATUS_LINE = /^sidekick-tunnel-status (\d+)$/;

export type TunnelEnd =
  /** nc ran and ended with this status; `message` is what it printed (e.g. "Connection refused"). */
  | { kind: 'exited'; status: number; message: string }
  /** The tunnel's streams ended without a status: killed with its container, or the engine went away. */
  | { kind: 'lost'; message: string }
  /** The exec never started; `message` is the engine's text. */
  | { kind: 'not-started'; message: string }
  /** A connection the engine opened itself (port-connection-forwarder.ts): nothing listens on the port. */
  | { kind: 'refused'; message: string }
  /** A connection the engine opened itself failed or was cut; `message` is the engine's words. */
  | { kind: 'failed'; message: string };

export interface Tunnel {
  /** What the client sends; ending it half-closes the connection in the target. */
  stdin: Writable;
  /** What the remote sends, and nothing else. */
  stdout: Readable;
  /** Settles once both streams have ended; never rejects. */
  ended: Promise<TunnelEnd>;
  /** Ends the connection in the target now (the client is gone). */
  abort(): void;
  /**
   * Its forwarder is gone, and the tunnel with it: stop waiting for the engine to close its
   * streams (it does not always, for an exec killed with the target's PID namespace).
   */
  lose(): void;
}

/**
 * Reads the tunnel protocol off an exec's streams. `killChildren(pid)` ends the children
 * of the tunnel's shell (the forwarder's control channel does it).
 */
export function tunnelOver(exec: ProcessHandle, killChildren: (pid: number) => void): Tunnel {
  const stdout = new PassThrough({ highWaterMark: 1 << 20 });
  let started: boolean | undefined;
  let engineText = '';
  let pid: number | undefined;
  let status: number | undefined;
  let message = '';
  let abortWanted = false;

  exec.stdout.on('data', (chunk: Buffer) => {
    if (started === undefined) {
      started = chunk[0] === READY;
      chunk = chunk.subarray(started ? 1 : 0);
    }
    if (!started) {
      if (engineText.length < 4096) engineText += chunk.toString('utf8');
      return;
    }
    if (chunk.length > 0 && !stdout.write(chunk)) {
      exec.stdout.pause();
      stdout.once('drain', () => exec.stdout.resume());
    }
  });
  const stdoutEnded = new Promise<void>((resolve) => {
    exec.stdout.once('end', resolve);
    exec.stdout.once('close', resolve);
    exec.stdout.once('error', () => resolve());
  });

  let pending = '';
  exec.stderr.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let newline;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).replace(/\r$/, '');
      pending = pending.slice(newline + 1);
      const pidMatch = PID_LINE.exec(line);
      const statusMatch = STATUS_LINE.exec(line);
      if (pidMatch) {
        pid = Number(pidMatch[1]);
        if (abortWanted) killChildren(pid);
      } else if (statusMatch) status = Number(statusMatch[1]);
      else if (message.length < 4096) message += `${line}\n`;
    }
    if (pending.length > 4096) pending = pending.slice(-4096);
  });
  const stderrEnded = new Promise<void>((resolve) => {
    exec.stderr.once('end', resolve);
    exec.stderr.once('close', resolve);
    exec.stderr.once('error', () => resolve());
  });
  // The engine's exit report is not needed: the status travels in-band.
  exec.exit.catch(() => undefined);

  const ended = Promise.all([stdoutEnded, stderrEnded]).then((): TunnelEnd => {
    stdout.end();
    const said = (message + pending).trim();
    if (started !== true) return { kind: 'not-started', message: engineText.trim() || said || 'the tunnel did not start' };
    if (status === undefined) return { kind: 'lost', message: said };
    return { kind: 'exited', status, message: said };
  });

  exec.stdin?.on('error', () => undefined);
  return {
    stdin: exec.stdin!,
    stdout,
    ended,
    abort() {
      if (abortWanted) return;
      abortWanted = true;
      if (pid !== undefined && status === undefined) killChildren(pid);
      // What still comes is for nobody; keep reading so the engine can finish the stream.
      stdout.resume();
    },
    lose() {
      exec.detach();
    },
  };
}
