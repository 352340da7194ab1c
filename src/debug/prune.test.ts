import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ownedSessionLabels } from '../core/labels.js';
import type { ContainerSummary, Target } from '../core/target.js';
import type { Engine } from '../engines/engine.js';
import { pruneSessions } from './prune.js';

const key = randomBytes(32);
const host = { machine: 'm1', boot: 'b1', pidNamespace: 'p1' };
const ownership = { keys: [key], local: host, readStat: () => 'gone' as const };

/**
 * An engine whose sidekick it cannot remove, only end (a pod's ephemeral container): the
 * summary says so, and its labels are its own.
 */
function engineWithUnremovable(options: { endsWhenStopped: boolean }): { engine: Engine; calls: string[] } {
  const calls: string[] = [];
  let running = true;
  const summary: ContainerSummary = {
    id: 'shop/web/sidekick-app-aaaaaa',
    names: ['pod/web/sidekick-app-aaaaaa'],
    image: 'busybox',
    status: 'running',
    labels: ownedSessionLabels({ session: 's1', kind: 'sidekick', created: new Date('2020-01-01T00:00:00Z') }, { key, client: { ...host, pid: 4242, startTime: '99' } }),
    labelsSetOnObject: true,
    unremovable: "its entry stays in pod shop/web's spec",
  };
  const engine = {
    kind: 'Test',
    endpoint: 'test://',
    listContainers: async (query: { labels?: string[] }) => (query.labels !== undefined && running ? [summary] : []),
    findContainer: async (id: string) => ({ id, status: running ? 'running' : 'exited', autoRemove: true, mounts: [], namespaceModes: { pid: { kind: 'container', reference: 'shop/web/app' } } }) as unknown as Target,
    stopContainer: async (id: string) => {
      calls.push(`stop ${id}`);
      if (options.endsWhenStopped) running = false;
    },
    removeContainer: async (id: string) => {
      calls.push(`remove ${id}`);
    },
  } as unknown as Engine;
  return { engine, calls };
}

describe('pruneSessions of what the engine cannot remove', () => {
  it("ends an orphan's process instead of removing it, and says what stays; its own labels need no image to be trusted", async () => {
    const { engine, calls } = engineWithUnremovable({ endsWhenStopped: true });
    const report = await pruneSessions(engine, { includeRunning: false, ownership });
    expect(calls).toEqual(['stop shop/web/sidekick-app-aaaaaa']);
    expect(report.removed).toEqual([expect.objectContaining({ id: 'shop/web/sidekick-app-aaaaaa', remains: "its entry stays in pod shop/web's spec", reason: expect.stringMatching(/^orphan/) })]);
    expect(report.failed).toEqual([]);
  });

  it('reports one whose process did not end as failed, and a dry run touches nothing', async () => {
    const stubborn = engineWithUnremovable({ endsWhenStopped: false });
    const report = await pruneSessions(stubborn.engine, { includeRunning: false, ownership });
    expect(report.failed).toEqual([expect.objectContaining({ reason: 'its process did not end' })]);
    const dry = engineWithUnremovable({ endsWhenStopped: true });
    const preview = await pruneSessions(dry.engine, { includeRunning: false, dryRun: true, ownership });
    expect(preview.removed).toHaveLength(1);
    expect(dry.calls).toEqual([]);
  });
});
