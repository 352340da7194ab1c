import type { ProcessHandle } from '../core/process-handle.js';

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

export interface PumpOptions {
  tty: boolean;
  interactive: boolean;
  /** Called once when a signal asks the session to end; must remove the sidekick. */
  onTerminate: (signal: NodeJS.Signals) => Promise<void>;
}

/**
 * Connects the local terminal to a remote process for its whole life: raw mode and
 * window size with a TTY, stdin forwarded when interactive, output passed on with
 * backpressure. Resolves with the status the CLI should exit with, after the terminal is
 * restored on every path.
 */
export async function pumpTerminal(process_: ProcessHandle, options: PumpOptions): Promise<number> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  const useRaw = options.tty && stdin.isTTY === true;
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

  if (options.interactive && process_.stdin) {
    stdin.pipe(process_.stdin);
    restorers.push(() => {
      stdin.unpipe(process_.stdin!);
      stdin.pause();
    });
  }

  process_.stdout.pipe(stdout, { end: false });
  process_.stderr.pipe(process.stderr, { end: false });

  let terminatedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (terminatedBy) return;
    terminatedBy = signal;
    void options.onTerminate(signal).catch(() => undefined);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, onSignal);
    restorers.push(() => process.off(signal, onSignal));
  }

  try {
    const status = await process_.exit;
    if (terminatedBy) return 128 + (SIGNAL_NUMBERS[terminatedBy] ?? 1);
    return status.code;
  } catch (error) {
    if (terminatedBy) return 128 + (SIGNAL_NUMBERS[terminatedBy] ?? 1);
    throw error;
  } finally {
    for (const restore of restorers.reverse()) restore();
  }
}
