import type { Readable, Writable } from 'node:stream';

export interface ExitStatus {
  /** The process's exit status; 128+N when killed by signal N, as a shell reports it. */
  code: number;
}

/**
 * A running process on an engine (a sidekick's main process, an exec, an ephemeral
 * container). `exit` settles only when the process has really ended and all of its
 * output has been delivered to `stdout`/`stderr`.
 */
export interface ProcessHandle {
  /** null unless the process was started with stdin attached. */
  readonly stdin: Writable | null;
  readonly stdout: Readable;
  /** With a TTY the engine merges stderr into stdout; this stream then just ends. */
  readonly stderr: Readable;
  readonly exit: Promise<ExitStatus>;
  resize(cols: number, rows: number): Promise<void>;
  /**
   * Sends a signal to the process; resolves when the engine has accepted it. Absent where the
   * engine has no way to signal this process: Docker's exec API has no signal call, so an exec
   * is signalled, if at all, by the caller's own means (a ^C through its terminal, a kill run
   * beside it). See SignalableProcess for the processes that always have it.
   */
  readonly signal?: (signal: string) => Promise<void>;
  /**
   * Stops following the process: closes the connection to it, so that its streams end now.
   * For a process known to be gone whose stream the engine keeps open (an exec killed with
   * its PID namespace, docs/RELIABILITY.md).
   */
  detach(): void;
}

/** A process the engine can signal: a container's first process (a sidekick, a started container). */
export interface SignalableProcess extends ProcessHandle {
  readonly signal: (signal: string) => Promise<void>;
}
