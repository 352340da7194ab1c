/**
 * Targets a test file starts and checks after each test: untouched (same process, same
 * filesystem diff, no zombie added), no sidekick left for them, then removed with whatever
 * else the test asked to remove. Removal happens even when a check fails.
 */
import { expect } from 'vitest';
import { expectUntouched, removeTarget, snapshotTarget, startTarget, waitForHttp, type TargetSnapshot, type TestTarget } from './harness.js';
import { expectNoSidekicks } from './sidekick-leftovers.js';

export interface WatchedTargets {
  /** Starts a target (waiting for its server when it has an address) and snapshots it. */
  start(image: string, options?: Parameters<typeof startTarget>[1]): Promise<TestTarget>;
  /** Another container to remove after the test. */
  removeLater(id: string): void;
  /** For afterEach. */
  checkAndRemove(): Promise<void>;
}

export function watchedTargets(options: { sidekickWaitMs?: number; expectNoZombieAtStart?: boolean } = {}): WatchedTargets {
  const watched: Array<{ target: TestTarget; before: TargetSnapshot }> = [];
  const others: string[] = [];
  return {
    async start(image, startOptions = {}) {
      const started = await startTarget(image, startOptions);
      if (started.ip) await waitForHttp(started.ip, 8080).catch(() => undefined);
      const before = await snapshotTarget(started.id);
      if (options.expectNoZombieAtStart) expect(before.zombies).toBe(0);
      watched.push({ target: started, before });
      return started;
    },
    removeLater(id) {
      others.push(id);
    },
    async checkAndRemove() {
      try {
        for (const { target, before } of watched) {
          await expectNoSidekicks(target.id, options.sidekickWaitMs);
          await expectUntouched(before, target.id);
        }
      } finally {
        for (const { target } of watched.splice(0)) await removeTarget(target.id);
        for (const id of others.splice(0)) await removeTarget(id);
      }
    },
  };
}
