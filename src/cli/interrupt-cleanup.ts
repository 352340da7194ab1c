import { Cleanups } from '../debug/inject/cleanups.js';
import { SIGNAL_STATUS } from './deferred-signals.js';

/**
 * Runs `work` with SIGINT, SIGTERM and SIGHUP turned into: run what is registered in the
 * cleanups (stop uploads, delete temporary files and containers, release the lock), say
 * `message()`, exit with 128+signal. Without this, Node would die on the spot and leave them.
 */
export async function withInterruptCleanup<T>(work: (cleanups: Cleanups) => Promise<T>, message: () => string | undefined): Promise<T> {
  const cleanups = new Cleanups();
  let ending = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (ending) return;
    ending = true;
    void cleanups.runAll().finally(() => {
      const text = message();
      if (text !== undefined) process.stderr.write(`sidekick: ${text}\n`);
      process.exit(SIGNAL_STATUS[signal] ?? 130);
    });
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, onSignal);
  try {
    const result = await work(cleanups);
    if (ending) await never();
    return result;
  } catch (error) {
    // Stopping the work makes it fail (an aborted upload); the handler says how it ended.
    if (ending) await never();
    throw error;
  } finally {
    if (!ending) for (const signal of signals) process.off(signal, onSignal);
  }
}

function never(): Promise<never> {
  return new Promise<never>(() => undefined);
}
