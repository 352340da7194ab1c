import { afterEach, describe, expect, inject, it } from 'vitest';
import { expectUntouched, removeTarget, runCli, snapshotTarget, startTarget, waitExited, waitForHttp, type TestTarget } from './harness.js';
import { expectNoSidekicksFor, startBackgroundSidekick } from './own-sidekicks.js';

describe('sidekick ps', () => {
  let target: TestTarget | undefined;
  afterEach(async () => {
    if (target) await removeTarget(target.id);
    target = undefined;
  });

  it("lists the distroless target's processes with its user's name", async () => {
    const { distroless } = inject('fixtures');
    target = await startTarget(distroless);
    await waitForHttp(target.ip, 8080);
    const before = await snapshotTarget(target.id);

    const result = await runCli(['ps', '--json', target.name]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const listing = JSON.parse(result.stdout.toString());
    expect(listing.target).toEqual({ id: target.id, name: target.name });
    expect(listing.processes).toHaveLength(1);
    expect(listing.processes[0]).toMatchObject({ pid: 1, ppid: 0, depth: 0, uid: 65532, user: 'nonroot', state: 'S', threads: 1, command: ['/app/server'], inTargetRoot: true });
    expect(listing.processes[0].rssBytes).toBeGreaterThan(0);
    expect(Date.parse(listing.processes[0].startTime)).toBeGreaterThan(Date.now() - 10 * 60_000);

    const text = (await runCli(['ps', target.name])).stdout.toString();
    expect(text.split('\n')[0]).toMatch(/^PID\s+PPID\s+USER\s+S\s+RSS\s+THR\s+TIME\s+STARTED\s+COMMAND$/);
    expect(text.split('\n')[1]).toMatch(/^1\s+0\s+nonroot\s+S\s+[\d.]+ [KM]iB\s+1\s+\d+:\d\d\.\d\d\s+\S+ \S+\s+\/app\/server$/);

    await expectUntouched(before, target.id);
    await expectNoSidekicksFor(target.id);
  });

  it("shows a debugging session's processes as a sidekick's, as a tree", async () => {
    const { scratchServer } = inject('fixtures');
    target = await startTarget(scratchServer);
    await waitForHttp(target.ip, 8080);
    const before = await snapshotTarget(target.id);
    const session = await startBackgroundSidekick(target.id);
    try {
      const listing = JSON.parse((await runCli(['ps', '--json', target.id.slice(0, 12)])).stdout.toString());
      const sleep = listing.processes.find((row: { command: string[] }) => row.command.join(' ') === 'sleep 600');
      expect(sleep).toMatchObject({ inTargetRoot: false, user: null, uid: 0, owner: { kind: 'container', sidekick: true } });
      expect(sleep.depth).toBeGreaterThan(0);
      expect(listing.processes[0]).toMatchObject({ pid: 1, command: ['/server'], inTargetRoot: true });
      const text = (await runCli(['ps', target.name])).stdout.toString();
      expect(text).toMatch(/\\_ sleep 600 {2}\[sidekick [^\]]+\]$/m);
    } finally {
      await session.stop();
    }
    await expectUntouched(before, target.id);
    await expectNoSidekicksFor(target.id);
  });

  it('refuses a target that is not running', async () => {
    const { exitsAtOnce } = inject('fixtures');
    target = await startTarget(exitsAtOnce);
    await waitExited(target.id);
    const result = await runCli(['ps', target.name]);
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/is exited: it has no processes/);
    await expectNoSidekicksFor(target.id);
  });
});
