import { afterEach, describe, expect, inject, it } from 'vitest';
import { docker } from '../fixtures/docker-cli.js';
import { expectUntouched, leftovers, removeTarget, snapshotTarget, startTarget, waitForHttp, type TestTarget } from './harness.js';

describe('e2e harness', () => {
  let target: TestTarget | undefined;

  afterEach(async () => {
    if (target) await removeTarget(target.id);
    target = undefined;
  });

  it('starts, snapshots and removes a scratch target', async () => {
    const { scratchServer } = inject('fixtures');
    target = await startTarget(scratchServer, { env: { EXTRA: 'x' } });
    expect(target.id).toMatch(/^[0-9a-f]{64}$/);
    expect(target.name).toMatch(/^sidekick-test-/);
    expect(target.ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(await waitForHttp(target.ip, 8080)).toBe('hello from scratch\n');

    const labels = await docker(['inspect', '-f', '{{json .Config.Labels}}', target.id]);
    expect(JSON.parse(labels)).toEqual({ 'io.sidekick.fixture': 'scratch-server', 'io.sidekick.test': '1' });

    const first = await snapshotTarget(target.id);
    expect(first.hostPid).toBeGreaterThan(0);
    expect(first.pid1StartTime).toMatch(/^\d+$/);
    expect(first).toMatchObject({ status: 'running', restartCount: 0, diff: '' });
    expect(await snapshotTarget(target.id)).toEqual(first);
    await expectUntouched(first, target.id);

    await removeTarget(target.id);
    await removeTarget(target.id); // already gone: not an error
    await expect(docker(['inspect', target.id])).rejects.toThrow(/no such/i);
    target = undefined;
    expect(await leftovers()).toEqual([]);
  });

  it('sees a change in the filesystem and a restarted PID 1', async () => {
    const { scratchServer } = inject('fixtures');
    target = await startTarget(scratchServer, { readOnly: false });
    await waitForHttp(target.ip, 8080);
    const before = await snapshotTarget(target.id);

    // A scratch image has no tool to write with, so add a file through the engine's archive API.
    await docker(['cp', '/etc/hostname', `${target.id}:/written-by-test`]);
    const changed = await snapshotTarget(target.id);
    expect(changed.diff).toBe('A /written-by-test');
    expect(changed.pid1StartTime).toBe(before.pid1StartTime);

    await docker(['restart', '-t', '5', target.id]);
    const restarted = await snapshotTarget(target.id);
    expect(restarted.hostPid).not.toBe(before.hostPid);
    expect(restarted.pid1StartTime).not.toBe(before.pid1StartTime);
  });
});
