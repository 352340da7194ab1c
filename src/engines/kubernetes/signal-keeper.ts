/**
 * Signals for a session's process through one long-lived exec (docs/ARCHITECTURE.md,
 * "Kubernetes engine"). The API cannot signal a process, so a signal is the toolbox's `kill`
 * run in the container. The lease renews once a second; an exec each time is a WebSocket, an
 * authorisation and a process per second per session for the API server and the node. Here a
 * shell in the container reads one signal name per line and runs `kill` for each: a renewal is
 * one line on a WebSocket that stays open. When the client goes, the WebSocket closes, the
 * shell's stdin ends and it exits; when the keeper cannot be had (or has gone), each signal is
 * sent as before, by an exec of its own.
 */
import type { ProcessHandle } from '../../core/process-handle.js';

export interface SignalKeeper {
  /** Sends the signal; resolves once it was handed over (the line written, or the exec done). */
  send(signal: string): Promise<void>;
  /** Ends the keeper's exec; later signals go by exec. Safe to call more than once. */
  close(): void;
}

/**
 * The keeper's command: reads signal names and sends each to `target`, a shell word (`"$pid"`,
 * or `-- "-$pid"` for a process group). With `pidFile`, `$pid` is read from it once, by the
 * shell's own `read`: the keeper forks nothing, so the end of its container (every process of
 * it killed at once) can leave no child of it to the target's PID 1, which may not reap. Names
 * are checked by the caller; here they are quoted anyway.
 */
export function keeperCommand(shell: string, target: string, pidFile?: string): string[] {
  const prelude = pidFile === undefined ? '' : `${readPid(pidFile)} || exit 1; `;
  return [shell, '-c', `${prelude}while read -r name; do kill -s "$name" ${target} 2>/dev/null; done`, 'sidekick-signals'];
}

/** Sets `pid` from a file with the shell's builtin `read` (no command substitution: no fork). */
export function readPid(pidFile: string): string {
  return `read -r pid < ${pidFile}; [ -n "$pid" ]`;
}

export function signalKeeper(open: () => Promise<ProcessHandle>, byExec: (signal: string) => Promise<void>): SignalKeeper {
  let keeper: Promise<ProcessHandle | undefined> | undefined;
  let closed = false;
  let gone = false;

  const start = (): Promise<ProcessHandle | undefined> =>
    (keeper ??= open().then(
      (process) => {
        process.stdout.resume();
        process.stderr.resume();
        const lost = (): void => {
          gone = true;
        };
        process.exit.then(lost, lost);
        process.stdin?.on('error', lost);
        if (closed) process.detach();
        return process;
      },
      () => undefined,
    ));

  return {
    async send(signal) {
      const process = closed ? undefined : await start();
      const stdin = process?.stdin;
      if (process === undefined || stdin === null || stdin === undefined || gone || closed) return byExec(signal);
      await new Promise<void>((resolve, reject) => {
        stdin.write(`${signal.replace(/^SIG/, '')}\n`, (error) => (error ? reject(error) : resolve()));
      }).catch(() => byExec(signal));
    },
    close() {
      if (closed) return;
      closed = true;
      void keeper?.then((process) => process?.detach());
    },
  };
}
