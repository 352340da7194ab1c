/**
 * The CLI under test as a child process that a scenario can signal at a chosen moment.
 * Every child is tracked so that a scenario's `finally` can end what a failed run left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI_PATH, REPO_ROOT } from '../test/e2e/harness.js';

export interface CliEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** From spawn to exit. */
  ms: number;
}

export interface CliChild {
  child: ChildProcess;
  ended: Promise<CliEnd>;
  stdout(): string;
  stderr(): string;
  running(): boolean;
}

export interface CliSpawnOptions {
  env?: Record<string, string>;
  /** 'pipe' keeps stdin open (for a session that reads it); closed at once by default. */
  stdin?: 'pipe' | 'ignore';
  /** SIGKILL the child after this long; the scenario then sees code null, signal SIGKILL. */
  hardLimitMs?: number;
}

const live = new Set<ChildProcess>();

export function spawnCli(args: readonly string[], options: CliSpawnOptions = {}): CliChild {
  const start = performance.now();
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdin?.on('error', () => undefined);
  const limit = setTimeout(() => child.kill('SIGKILL'), options.hardLimitMs ?? 120_000);
  const ended = new Promise<CliEnd>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(limit);
      live.delete(child);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - start });
    });
  });
  return { child, ended, stdout: () => stdout, stderr: () => stderr, running: () => child.exitCode === null && child.signalCode === null };
}

/** For a scenario's finally: no CLI it started outlives it. */
export async function killStrayClis(): Promise<void> {
  const left = [...live];
  for (const child of left) child.kill('SIGKILL');
  await Promise.all(left.map((child) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('close', () => resolve())))));
}

/** The exit status a shell would report: 128 + n for a signal. */
export function statusOf(end: CliEnd): number {
  if (end.code !== null) return end.code;
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return 128 + (end.signal ? (numbers[end.signal] ?? 0) : 0);
}
