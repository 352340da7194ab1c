/**
 * Holds SIGINT/SIGTERM/SIGHUP while a session is being set up: dying between the engine's
 * create and start would leave a created container behind (auto-remove acts only after a
 * start). The caller finishes the setup, then ends the session if a signal came.
 */
export function deferSignals(): { release: () => NodeJS.Signals | undefined } {
  let received: NodeJS.Signals | undefined;
  const hold = (signal: NodeJS.Signals): void => {
    received ??= signal;
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, hold);
  return {
    release: () => {
      for (const signal of signals) process.off(signal, hold);
      return received;
    },
  };
}

export const SIGNAL_STATUS: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };
