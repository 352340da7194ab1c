import { expect } from 'vitest';
import { docker, lines } from '../fixtures/docker-cli.js';

/** Sidekick containers (any state) made for one target: after a session there must be none. */
export async function sidekicksOf(targetId: string): Promise<string[]> {
  return lines(await docker(['ps', '-aq', '--filter', `label=io.sidekick.target=${targetId}`]));
}

export async function expectNoSidekicks(targetId: string, waitMs = 5_000): Promise<void> {
  // Auto-remove runs in the engine just after the process ends; give it a moment.
  const deadline = Date.now() + waitMs;
  let left = await sidekicksOf(targetId);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = await sidekicksOf(targetId);
  }
  expect(left, 'sidekick containers left for the target').toEqual([]);
}

export async function waitForSidekick(targetId: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids = lines(await docker(['ps', '-q', '--filter', `label=io.sidekick.target=${targetId}`]));
    if (ids.length > 0) return ids[0]!;
    if (Date.now() > deadline) throw new Error(`no running sidekick for ${targetId} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
