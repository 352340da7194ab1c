/** Witnesses for the inspect/ps/cp tests: which sidekick containers exist for a target. */
import { spawn, type ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import { docker, lines } from '../fixtures/docker-cli.js';
import { CLI_PATH, REPO_ROOT } from './harness.js';

export async function sidekicksFor(targetId: string): Promise<string[]> {
  return lines(await docker(['ps', '-aq', '--filter', `label=io.sidekick.target=${targetId}`]));
}

/** Auto-remove happens in the engine just after the process ends: allow it a moment. */
export async function expectNoSidekicksFor(targetId: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  let left = await sidekicksFor(targetId);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = await sidekicksFor(targetId);
  }
  expect(left, `sidekick containers left for ${targetId}`).toEqual([]);
}

/** Starts `sidekick exec TARGET -- sleep 600` in the background and waits for its container. */
export async function startBackgroundSidekick(targetId: string): Promise<{ child: ChildProcess; sidekickId: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [CLI_PATH, 'exec', targetId, '--', 'sleep', '600'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const running = lines(await docker(['ps', '-q', '--no-trunc', '--filter', `label=io.sidekick.target=${targetId}`]));
    if (running.length > 0) {
      return {
        child,
        sidekickId: running[0]!,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      };
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sidekick exec did not start (exit ${child.exitCode}): ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
