/**
 * `sidekick inject --os debian`: the Debian userland is built here with mmdebstrap (Essential
 * and apt, from the mirror this host's apt uses), injected where the target has nothing, and
 * taken out again by eject, back to the `docker diff` from before.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ensureDebianRootfs } from '../fixtures/debian-rootfs.js';
import { docker } from '../fixtures/docker-cli.js';
import { craftedTar } from '../fixtures/hostile-fixtures.js';
import { removeTarget, runCli, snapshotTarget, startTarget, waitForHttp, type TestTarget } from './harness.js';

describe('sidekick inject --os debian', () => {
  const targets: TestTarget[] = [];

  afterEach(async () => {
    await Promise.all(targets.splice(0).map((t) => removeTarget(t.id)));
  });

  it('builds Debian with mmdebstrap, injects it into a scratch target where dpkg and apt then run, and eject takes it out', async () => {
    const target = await startTarget(inject('fixtures').scratchServer);
    targets.push(target);
    await waitForHttp(target.ip, 8080);
    const before = await snapshotTarget(target.id);

    const injected = await runCli(['inject', '--os', 'debian:bookworm', target.name], { timeoutMs: 600_000 });
    expect(injected.code, injected.stderr).toBe(0);
    expect(injected.stderr).toMatch(new RegExp(`^sidekick: injected debian bookworm from \\S+ into ${target.name}: \\d+ entries written, \\d+ of the target's own kept\\.$`, 'm'));
    // Configured by dpkg while it was built: the package database lists apt as installed.
    expect(await docker(['exec', target.id, '/usr/bin/dpkg-query', '-W', '-f', '${Status}', 'apt'])).toBe('install ok installed');
    expect(await docker(['exec', target.id, '/usr/bin/apt-get', '--version'])).toMatch(/^apt \d/);

    const ejected = await runCli(['eject', target.name], { timeoutMs: 300_000 });
    expect(ejected.code, ejected.stderr).toBe(0);
    expect(ejected.stderr).toContain(`removed the injected OS (debian bookworm from `);
    const after = await snapshotTarget(target.id);
    expect(after.pid1StartTime).toBe(before.pid1StartTime);
    expect(after.diff).toBe(before.diff);
  });

  it('names a suite the mirror does not have', async () => {
    const target = await startTarget(inject('fixtures').scratchServer);
    targets.push(target);
    const before = await snapshotTarget(target.id);
    const result = await runCli(['inject', '--os', 'debian:nosuchsuite', target.name], { timeoutMs: 300_000 });
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/^sidekick: cannot bootstrap Debian nosuchsuite from \S+: .+\nCheck the suite and the network/);
    expect((await snapshotTarget(target.id)).diff).toBe(before.diff);
  });

  it("refuses --skip-conflicts when Debian's /bin would be left out: dpkg's scripts would run the target's own /bin/sh", async () => {
    const target = await startTarget(inject('fixtures').scratchServer);
    targets.push(target);
    // A /bin of the target's own, as a busybox image has (its sh runs busybox's dpkg applet first).
    await docker(['cp', '-', `${target.id}:/`], { input: craftedTar([{ name: 'bin', type: 'directory' }, { name: 'bin/sh', type: 'file', content: '#!busybox\n' }]) });
    const before = await snapshotTarget(target.id);
    const rootfs = await ensureDebianRootfs();
    // With --skip-conflicts or without: the conflicts' own message would suggest the flag.
    for (const flags of [['--skip-conflicts'], []]) {
      const result = await runCli(['inject', '--os', rootfs, ...flags, target.name], { timeoutMs: 300_000 });
      expect(result.code).toBe(125);
      expect(result.stderr).toContain(`sidekick: the OS's /bin conflicts with ${target.name}'s own, and left out it would make the OS's package manager run ${target.name}'s /bin/sh`);
      expect(result.stderr).toContain('Nothing was written.');
    }
    expect((await snapshotTarget(target.id)).diff).toBe(before.diff);
  });
});
