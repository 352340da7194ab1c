import type { ProcessHandle } from '../core/process-handle.js';
import { DetachKeyMatcher } from './detach-keys.js';

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGPIPE: 13, SIGTERM: 15 };

export interface PumpOptions {
  tty: boolean;
  interactive: boolean;
  /** Called once when a signal (or a closed stdout) asks the session to end; must remove the sidekick. */
  onTerminate: (signal: NodeJS.Signals) => Promise<void>;
  /**
   * On a terminal with stdin open, typing these bytes detaches (docker's detach keys): input stops,
   * the terminal is restored, then `onDetach` decides what becomes of the session and gives the status.
   */
  detach?: { keys: Buffer; onDetach: () => Promise<number> };
}

/**
 * Connects the local terminal to a remote process for its whole life: raw mode and
 * window size with a TTY, stdin forwarded when interactive, output passed on with
 * backpressure. Resolves with the status the CLI should exit with once every byte of output
 * has been handed to the local stdout/stderr, after the terminal is restored on every path.
 */
export async function pumpTerminal(process_: ProcessHandle, options: PumpOptions): Promise<number> {
  const { status, detached } = await pump(process_, options);
  // The terminal is back to normal here, so what onDetach says is printed as plain lines.
  return detached && options.detach ? options.detach.onDetach() : status;
}

async function pump(process_: ProcessHandle, options: PumpOptions): Promise<{ status: number; detached: boolean }> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  // Raw mode only when keys go somewhere: otherwise ^C would be neither a signal nor input.
  const useRaw = options.tty && options.interactive && stdin.isTTY === true;
  const restorers: Array<() => void> = [];

  if (useRaw) {
    stdin.setRawMode(true);
    restorers.push(() => stdin.setRawMode(false));
  }

  if (options.tty && stdout.isTTY) {
    const sendSize = (): void => {
      void process_.resize(stdout.columns, stdout.rows).catch(() => undefined);
    };
    sendSize();
    stdout.on('resize', sendSize);
    restorers.push(() => stdout.off('resize', sendSize));
  }

  let detach: (() => void) | undefined;
  const detached = new Promise<void>((resolve) => (detach = resolve));
  if (options.interactive && process_.stdin && useRaw && options.detach) {
    const remoteStdin = process_.stdin;
    const matcher = new DetachKeyMatcher(options.detach.keys);
    const onKeys = (chunk: Buffer): void => {
      const { forward, detached: done } = matcher.push(chunk);
      if (forward.length > 0) remoteStdin.write(forward);
      if (!done) return;
      stdin.off('data', onKeys);
      detach?.();
    };
    stdin.on('data', onKeys);
    restorers.push(() => {
      stdin.off('data', onKeys);
      stdin.pause();
    });
  } else if (options.interactive && process_.stdin) {
    stdin.pipe(process_.stdin);
    restorers.push(() => {
      stdin.unpipe(process_.stdin!);
      stdin.pause();
    });
  }

  let terminatedBy: NodeJS.Signals | undefined;
  const terminate = (signal: NodeJS.Signals): void => {
    if (terminatedBy) return;
    terminatedBy = signal;
    // What is still in flight is dropped, but it must be read: a connection paused for want of a
    // reader never sees its end, and nothing else would keep this process alive to report a status.
    for (const stream of [process_.stdout, process_.stderr]) {
      stream.unpipe();
      stream.resume();
    }
    void options.onTerminate(signal).catch(() => undefined);
  };

  // A reader that went away (`| head`) ends the session as a broken pipe would, not with a crash.
  const onOutputError = (): void => terminate('SIGPIPE');
  stdout.on('error', onOutputError);
  process.stderr.on('error', onOutputError);
  restorers.push(() => {
    stdout.off('error', onOutputError);
    process.stderr.off('error', onOutputError);
  });
  const outputDelivered = Promise.all([delivered(process_.stdout, stdout), delivered(process_.stderr, process.stderr)]);

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, terminate);
    restorers.push(() => process.off(signal, terminate));
  }

  try {
    const status = await Promise.race([process_.exit, detached.then(() => undefined)]);
    if (status === undefined) {
      // What the session prints after the detach is not shown, as with docker; it must still be read.
      for (const stream of [process_.stdout, process_.stderr]) {
        stream.unpipe();
        stream.resume();
      }
      return { status: 0, detached: true };
    }
    if (!terminatedBy) await outputDelivered;
    if (terminatedBy) return { status: 128 + (SIGNAL_NUMBERS[terminatedBy] ?? 1), detached: false };
    return { status: status.code, detached: false };
  } catch (error) {
    if (terminatedBy) return { status: 128 + (SIGNAL_NUMBERS[terminatedBy] ?? 1), detached: false };
    throw error;
  } finally {
    for (const restore of restorers.reverse()) restore();
  }
}

/** Pipes `from` into `into` and settles once all of it has been written out (not just buffered). */
function delivered(from: NodeJS.ReadableStream, into: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve) => {
    from.pipe(into, { end: false });
    from.once('end', () => {
      // An empty write's callback runs after everything written before it has been flushed.
      if (!into.writable) resolve();
      else into.write('', () => resolve());
    });
  });
}
