import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { PortSpec } from '../../core/port-spec.js';
import { listenError } from './local-listeners.js';

/** What the holder (`sidekick-relay hold`, native/sidekick-relay.c) says, one line at a time. */
export type HolderLine =
  | { kind: 'listening'; port: number }
  | { kind: 'error'; code: string; message: string }
  | { kind: 'handed' }
  | { kind: 'not-handed'; why: string }
  | { kind: 'unknown'; line: string };

export function parseHolderLine(line: string): HolderLine {
  const listening = /^listening (\d{1,5})$/.exec(line);
  if (listening) {
    const port = Number(listening[1]);
    if (port > 0 && port <= 65535) return { kind: 'listening', port };
  }
  const error = /^error (E[A-Z]+) (.*)$/.exec(line);
  if (error) return { kind: 'error', code: error[1]!, message: error[2]! };
  if (line === 'handed') return { kind: 'handed' };
  const notHanded = /^not-handed (.*)$/.exec(line);
  if (notHanded) return { kind: 'not-handed', why: notHanded[1]! };
  return { kind: 'unknown', line };
}

/**
 * The local listening sockets, held by a small process of this machine rather than by Node,
 * so that Node never accepts a connection (docs/ARCHITECTURE.md, "port-forward"): each relay
 * gets them (SCM_RIGHTS, which Node cannot send) and accepts on them itself.
 */
export interface PortHolder {
  /** The port really bound for each spec (the free one chosen when the spec said 0). */
  ports: number[];
  /**
   * Hands every listening socket to the relay listening on `socketPath`, with the remote
   * port of each; resolves with why not (a socket this machine cannot reach), or undefined.
   */
  handTo(socketPath: string): Promise<string | undefined>;
  /** Ends the holder: the listening sockets close (a relay's copies stay until it ends). */
  close(): Promise<void>;
}

/** How long the holder may take to bind, or to hand over, before it is given up on. */
const ANSWER_TIMEOUT_MS = 10_000;

/**
 * Binds every local port in a holder process before anything is started on the engine, so
 * that a port in use fails the command with nothing to clean up, with the same messages as
 * Node's own listeners (./local-listeners.ts).
 */
export async function holdPorts(binary: string, specs: readonly PortSpec[]): Promise<PortHolder> {
  const child = spawn(binary, ['hold', ...specs.flatMap((spec) => [spec.localHost, spec.protocol === 'udp' ? `${spec.localPort}/udp` : String(spec.localPort)])], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume();
  // A holder that died (killed by hand) is seen at the next handover, not as a crash here.
  child.stdin.on('error', () => undefined);
  const lines = lineReader(child);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const ports: number[] = [];
  try {
    while (ports.length < specs.length) {
      const line = await lines.next();
      if (line === undefined) throw new Error('the port holder ended without a word');
      const said = parseHolderLine(line);
      if (said.kind === 'listening') ports.push(said.port);
      else if (said.kind === 'error') {
        const error = Object.assign(new Error(said.message), { code: said.code === 'EOTHER' ? undefined : said.code }) as NodeJS.ErrnoException;
        throw listenError(error, specs[ports.length]!);
      } else throw new Error(`the port holder said ${JSON.stringify(line)}`);
    }
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  const remote = specs.map((spec) => spec.remotePort).join(' ');
  let queue = Promise.resolve<string | undefined>(undefined);
  return {
    ports,
    handTo(socketPath) {
      // One handover at a time: the answers come back in order.
      queue = queue.then(async () => {
        if (child.exitCode !== null || child.signalCode !== null || !child.stdin.writable) return 'the port holder has ended';
        if (/[\n ]/.test(socketPath)) return 'the relay directory has a space or a new line in its path';
        child.stdin.write(`hand ${socketPath} ${remote}\n`);
        const line = await lines.next();
        if (line === undefined) return 'the port holder has ended';
        const said = parseHolderLine(line);
        if (said.kind === 'handed') return undefined;
        return said.kind === 'not-handed' ? said.why : `the port holder said ${JSON.stringify(line)}`;
      });
      return queue;
    },
    async close() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The child's stdout as lines, each read with a time limit; undefined at its end. */
function lineReader(child: ChildProcessWithoutNullStreams): { next(): Promise<string | undefined> } {
  let buffered = '';
  const ready: string[] = [];
  let ended = false;
  let waiting: ((line: string | undefined) => void) | undefined;
  const wake = (): void => {
    if (!waiting) return;
    const line = ready.shift();
    if (line === undefined && !ended) return;
    const resolve = waiting;
    waiting = undefined;
    resolve(line);
  };
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let at: number;
    while ((at = buffered.indexOf('\n')) >= 0) {
      ready.push(buffered.slice(0, at));
      buffered = buffered.slice(at + 1);
    }
    wake();
  });
  child.stdout.once('close', () => {
    ended = true;
    wake();
  });
  child.once('error', () => {
    ended = true;
    wake();
  });
  return {
    next() {
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          waiting = undefined;
          resolve(undefined);
        }, ANSWER_TIMEOUT_MS);
        waiting = (line) => {
          clearTimeout(timer);
          resolve(line);
        };
        wake();
      });
    },
  };
}
