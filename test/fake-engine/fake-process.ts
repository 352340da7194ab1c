/**
 * A process of the fake engine whose behaviour a test scripts: what it writes, how it reacts
 * to a signal, and with what status it ends.
 */
import { PassThrough } from 'node:stream';
import type { ExitStatus, ProcessHandle } from '../../src/core/process-handle.js';
import { SidekickError } from '../../src/core/errors.js';

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGUSR1: 10, SIGUSR2: 12, SIGTERM: 15 };

/** Signals that end a process unless its script says otherwise (the others are ignored by default, as SIGURG and SIGWINCH). */
const ENDS_BY_DEFAULT = new Set(['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGKILL', 'SIGTERM', 'SIGUSR1', 'SIGUSR2']);

/** How a scripted process reacts to a signal: 'default' ends it as the signal would. */
export type SignalReaction = 'default' | 'ignore' | ((signal: string) => void);

/** Sets a process's behaviour up once it is started; it may write, end, and say how it takes signals. */
export type ProcessScript = (process: FakeProcess) => void | Promise<void>;

/** Runs until a signal ends it: a shell waiting for input, a server. */
export const runsUntilSignalled: ProcessScript = () => undefined;

/** Writes and ends at once. */
export function exitsWith(code: number, output: { stdout?: string; stderr?: string } = {}): ProcessScript {
  return (process) => {
    if (output.stdout !== undefined) process.write(output.stdout);
    if (output.stderr !== undefined) process.writeError(output.stderr);
    process.end(code);
  };
}

export class FakeProcess implements ProcessHandle {
  readonly stdin: PassThrough | null;
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly exit: Promise<ExitStatus>;
  /** Every signal sent, in order (a lease's renewals among them). */
  readonly signals: string[] = [];
  /** Signals sent once it had ended (refused, as the engine refuses them). */
  readonly signalsAfterEnd: string[] = [];
  readonly resizes: Array<{ cols: number; rows: number }> = [];
  detached = false;
  private ended: ExitStatus | undefined;
  private settle!: (status: ExitStatus) => void;
  private reaction: SignalReaction = 'default';
  private readonly endListeners: Array<(status: ExitStatus) => void> = [];

  constructor(options: { openStdin: boolean }) {
    this.stdin = options.openStdin ? new PassThrough() : null;
    this.exit = new Promise((resolve) => (this.settle = resolve));
  }

  get running(): boolean {
    return this.ended === undefined;
  }

  write(text: string | Buffer): void {
    if (this.running) this.stdout.write(text);
  }

  writeError(text: string | Buffer): void {
    if (this.running) this.stderr.write(text);
  }

  onSignal(reaction: SignalReaction): void {
    this.reaction = reaction;
  }

  /** Ends the process: its streams end first, then `exit` settles (the ProcessHandle's promise). */
  end(code: number): void {
    if (this.ended !== undefined) return;
    const status = { code };
    this.ended = status;
    this.stdout.end();
    this.stderr.end();
    this.stdin?.end();
    for (const listener of this.endListeners) listener(status);
    // After the output already written has reached a reader that is flowing, as the ProcessHandle promises.
    setImmediate(() => this.settle(status));
  }

  /** Called by the fake engine when this process ends, before `exit` settles for the code under test. */
  whenEnded(listener: (status: ExitStatus) => void): void {
    if (this.ended !== undefined) listener(this.ended);
    else this.endListeners.push(listener);
  }

  async resize(cols: number, rows: number): Promise<void> {
    this.resizes.push({ cols, rows });
  }

  async signal(signal: string): Promise<void> {
    if (!this.running) this.signalsAfterEnd.push(signal);
    if (!this.running) throw new SidekickError('TARGET_NOT_RUNNING', `the process has ended; ${signal} not sent.`);
    this.signals.push(signal);
    this.deliver(signal);
  }

  /** A signal from the engine (a stop, a kill): KILL cannot be ignored. */
  deliver(signal: string): void {
    if (!this.running) return;
    if (signal === 'SIGKILL') return this.end(128 + 9);
    if (this.reaction === 'ignore') return;
    if (typeof this.reaction === 'function') return this.reaction(signal);
    if (ENDS_BY_DEFAULT.has(signal)) this.end(128 + (SIGNAL_NUMBERS[signal] ?? 15));
  }

  detach(): void {
    this.detached = true;
    this.stdout.end();
    this.stderr.end();
  }
}
