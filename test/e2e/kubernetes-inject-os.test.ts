/**
 * `sidekick inject --os` into a pod (docs/ARCHITECTURE.md, "inject --os on pods"), end to end
 * through the control-plane double (test/kube-double/README.md: a test double of the control
 * plane only, backed by real Docker containers). A pod has no diff against its image: the walk
 * of its root filesystem taken before the injection is the baseline eject goes back to, and the
 * OS goes up through the archive sidekick's unpacker. The double's containers are Docker's, so
 * `docker diff` here is the witness that eject left the container as it was.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ensureDebianRootfs } from '../fixtures/debian-rootfs.js';
import { DoubleWorld } from '../kube-double/double-world.js';
import { defaultToolboxImage } from '../kube-double/test-client.js';
import { expectUntouched, runCli, snapshotTarget } from './harness.js';

const CASE_MS = 600_000;

describe('inject --os into a pod (through the control-plane double)', () => {
  const world = new DoubleWorld('sidekick-kube-inject-os');

  afterEach(async () => {
    await world.close();
  });

  it('writes a Debian userland into a pod\'s scratch container, where apt-get installs and runs a package from the mirror; eject brings its files back to exactly what they were', async () => {
    const rootfs = await ensureDebianRootfs();
    const name = `sidekick-test-${randomBytes(4).toString('hex')}`;
    const pod = await world.pod(name, [{ name: 'app', image: inject('fixtures').scratchServer }]);
    const app = pod.containers.get('app')!;
    const before = await snapshotTarget(app);
    const env = { SIDEKICK_KUBE_TOOLBOX: await defaultToolboxImage() };
    const args = ['--kubeconfig', await world.kubeconfig()];
    const target = `pod/${name}/app`;

    const injected = await runCli(['inject', ...args, '--os', rootfs, target], { env, timeoutMs: CASE_MS });
    expect(injected.code, injected.stderr).toBe(0);
    expect(injected.stderr).toMatch(new RegExp(`^sidekick: injected rootfs ${rootfs} into ${target}: \\d+ entries written, \\d+ of the target's own kept\\.$`, 'm'));

    // dpkg and apt at work in the target: a package the OS did not bring, from the mirror.
    const used = await runCli(['shell', ...args, target, '--', '/bin/sh', '-c', "apt-get update -qq && apt-get install -y -qq hello >/dev/null 2>&1 && hello && dpkg-query -W -f '${Status}' hello"], { env, timeoutMs: CASE_MS });
    expect(used.code, used.stderr).toBe(0);
    expect(used.stdout.toString()).toBe('Hello, world!\ninstall ok installed');

    const ejected = await runCli(['eject', ...args, target], { env, timeoutMs: CASE_MS });
    expect(ejected.code, ejected.stderr).toBe(0);
    expect(ejected.stderr).toContain(`removed the injected OS (rootfs ${rootfs}) from ${target}.`);
    // What apt installed went with the OS (dpkg's records), and nothing of the target's own.
    await expectUntouched(before, app);
  }, CASE_MS);
});
