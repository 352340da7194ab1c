/**
 * sidekick inject --os: a whole userland into a scratch target, only where the target has
 * nothing, so that its package manager works there; eject takes it (and what the package
 * manager installed since) out again, back to the `docker diff` from before.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { tinyRootfs as makeTinyRootfs } from '../fixtures/tiny-rootfs.js';
import { ensureDebianRootfs } from '../fixtures/debian-rootfs.js';
import { docker } from '../fixtures/docker-cli.js';
import { craftedTar } from '../fixtures/hostile-fixtures.js';
import { expectUntouched, removeTarget, runCli, snapshotTarget, startTarget, waitForHttp, type TestTarget } from './harness.js';

describe('sidekick inject --os', () => {
  const targets: TestTarget[] = [];
  let work = '';

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sidekick-inject-os-'));
    return () => rm(work, { recursive: true, force: true });
  });

  afterEach(async () => {
    await Promise.all(targets.splice(0).map((t) => removeTarget(t.id)));
  });

  const start = async (...args: Parameters<typeof startTarget>): Promise<TestTarget> => {
    const target = await startTarget(...args);
    targets.push(target);
    return target;
  };

  it(
    'injects a Debian rootfs into a scratch target; apt-get installs curl, which reaches the target’s server; eject removes what is recorded as the OS’s and lists what is not',
    async () => {
      const rootfs = await ensureDebianRootfs();
      const target = await start(inject('fixtures').scratchServer);
      await waitForHttp(target.ip, 8080);
      const before = await snapshotTarget(target.id);

      const injected = await runCli(['inject', '--os', rootfs, target.name], { timeoutMs: 300_000 });
      expect(injected.stderr).toMatch(new RegExp(`^sidekick: injected rootfs ${rootfs} into ${target.name}: \\d+ entries written, \\d+ of the target's own kept\\.$`, 'm'));
      expect(injected.code).toBe(0);
      // The engine's mount points were never overwritten.
      expect((await snapshotTarget(target.id)).diff).not.toMatch(/^[AC] \/etc\/(hosts|hostname|resolv\.conf)$/m);

      const apt = await runCli(
        ['shell', '--root', target.name, '--', 'sh', '-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null && echo installed'],
        { timeoutMs: 300_000 },
      );
      expect(apt.stdout.toString()).toContain('installed');
      expect(apt.code).toBe(0);
      expect(await docker(['exec', target.id, '/usr/bin/curl', '-s', 'http://127.0.0.1:8080/'])).toBe('hello from scratch\n');

      const sessions = JSON.parse((await runCli(['sessions', '--json'])).stdout.toString()) as { injections: Array<{ containerId: string; kind: string }> };
      expect(sessions.injections.filter((i) => i.containerId === target.id).map((i) => i.kind).sort()).toEqual(['os', 'toolbox']);

      const ejected = await runCli(['eject', target.name], { timeoutMs: 300_000 });
      expect(ejected.stderr).toContain(`removed the injected OS (rootfs ${rootfs}) from ${target.name}.`);
      expect(ejected.code).toBe(0);
      // curl's dependencies wrote into /etc, which the target already had. What dpkg lists as theirs
      // is removed; what ca-certificates' maintainer script generated there (the bundle, the hash
      // links) is in no package's record: kept and listed, as anything else without a record is.
      // Its links into the OS (the hash links, ldconfig's) lead nowhere once the OS is gone: removed.
      expect(ejected.stderr).toContain(
        'kept 3 path(s) created since the injection by something else: /etc/ca-certificates.conf, /etc/ssl/certs/ca-certificates.crt, /usr/local/share/ca-certificates',
      );
      expect(ejected.stderr).toContain('kept 5 directory(ies) of the OS that hold them: /etc/ssl, /etc/ssl/certs, /usr, /usr/local, /usr/local/share');
      const after = await snapshotTarget(target.id);
      expect(after.pid1StartTime).toBe(before.pid1StartTime);
      const beforeLines = new Set(before.diff.split('\n'));
      const added = after.diff.split('\n').filter((line) => !beforeLines.has(line));
      const allowed = /^[AC] \/(etc(\/ca-certificates\.conf|\/ssl(\/certs(\/ca-certificates\.crt)?)?)?|usr(\/local(\/share(\/ca-certificates)?)?)?)$/;
      expect(added.filter((line) => !allowed.test(line))).toEqual([]);
      expect(await docker(['exec', target.id, '/usr/bin/curl', '--version']).then(() => 'runs', () => 'gone')).toBe('gone');
      expect(await waitForHttp(target.ip, 8080)).toBe('hello from scratch\n');
    },
    900_000,
  );

  const tinyRootfs = (): Promise<string> => makeTinyRootfs(work);

  it('lists and refuses conflicts, writes nothing; --skip-conflicts leaves them out; eject restores', async () => {
    const rootfs = await tinyRootfs();
    const target = await start(inject('fixtures').scratchServer);
    // The target's own /srv is a file where the OS has a directory.
    await docker(['cp', '-', `${target.id}:/`], { input: craftedTar([{ name: 'srv', type: 'file', content: 'target data\n' }]) });
    const before = await snapshotTarget(target.id);

    const refused = await runCli(['inject', '--os', rootfs, target.name]);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toBe(
      `sidekick: the OS conflicts with ${target.name} at 1 path(s): /srv (the OS has a directory there, the target a file).\n` +
        'Nothing was written. Leave those paths (and everything below them) out with --skip-conflicts.\n',
    );
    await expectUntouched(before, target.id);

    const injected = await runCli(['inject', '--os', rootfs, '--skip-conflicts', target.name]);
    expect(injected.stderr).toContain('left out (conflicts): /srv');
    expect(injected.code).toBe(0);
    expect(await docker(['exec', target.id, '/bin/sh', '-c', 'cat /etc/tiny-release /srv; grep -c "not the engine" /etc/hosts || true'])).toBe('tiny 1\ntarget data\n0\n');

    expect((await runCli(['eject', target.name])).code).toBe(0);
    await expectUntouched(before, target.id);
  });

  it('keeps and lists what the application created since the injection in directories that existed before', async () => {
    const rootfs = await tinyRootfs();
    const target = await start(inject('fixtures').scratchServer);
    const before = await snapshotTarget(target.id);
    expect((await runCli(['inject', '--os', rootfs, target.name])).code).toBe(0);
    // Written by "the application", in /etc, which the target had before (the engine's mount points).
    await docker(['exec', target.id, '/bin/sh', '-c', 'echo state > /etc/app-state']);

    const ejected = await runCli(['eject', target.name]);
    expect(ejected.code).toBe(0);
    expect(ejected.stderr).toContain('kept 1 path(s) created since the injection by something else: /etc/app-state');
    const after = await snapshotTarget(target.id);
    expect(after.pid1StartTime).toBe(before.pid1StartTime);
    expect(after.diff).toBe(['A /etc/app-state', 'C /etc', ...before.diff.split('\n').filter(Boolean)].sort().join('\n'));
  });

  it('refuses an OS for a read-only root', async () => {
    const target = await start(inject('fixtures').scratchServer, { readOnly: true });
    const before = await snapshotTarget(target.id);
    const result = await runCli(['inject', '--os', await tinyRootfs(), target.name]);
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(new RegExp(`^sidekick: the root filesystem of ${target.name} is read-only; an OS cannot be injected into it\\.\\nUse sidekick exec`));
    await expectUntouched(before, target.id);
  });

  it('refuses a REF that is neither a tarball, alpine, nor a local image', async () => {
    const target = await start(inject('fixtures').scratchServer);
    const result = await runCli(['inject', '--os', 'sidekick-test/no-such-image:1', target.name]);
    expect(result.code).toBe(125);
    expect(result.stderr).toBe(
      'sidekick: --os sidekick-test/no-such-image:1 is neither a rootfs tarball on this host, alpine[:VERSION], nor an image on the engine.\n' +
        'Pull or build the image first (docker pull sidekick-test/no-such-image:1), or give a .tar / .tar.gz path.\n',
    );
  });

  it("injects a local image's filesystem (the distroless fixture's glibc) and leaves no export container behind", async () => {
    const target = await start(inject('fixtures').scratchServer);
    const before = await snapshotTarget(target.id);
    const injected = await runCli(['inject', '--os', inject('fixtures').distroless, target.name]);
    expect(injected.stderr).toContain(`injected image ${inject('fixtures').distroless} into ${target.name}`);
    expect(injected.code).toBe(0);
    // The image's dynamically linked server now runs inside the scratch target, with the image's glibc.
    // `wait` after the kill: a docker exec has no reaper of ours, and an unwaited child would be a zombie of the target's PID 1.
    expect(await docker(['exec', target.id, '/.sidekick/bin/sh', '-c', 'PORT=8181 LOOPBACK_PORT=9191 /app/server >/dev/null & sleep 0.5; wget -qO- 127.0.0.1:8181; kill %1; wait'])).toBe('hello from distroless\n');
    // Not a global leftovers() check: other runs may share the engine.
    expect(await docker(['ps', '-aq', '--filter', `label=io.sidekick.target=${target.id}`])).toBe('');
    expect((await runCli(['eject', target.name])).code).toBe(0);
    await expectUntouched(before, target.id);
  });

  it('says so when the Alpine mirror cannot be reached, and writes nothing', async () => {
    const target = await start(inject('fixtures').scratchServer);
    const before = await snapshotTarget(target.id);
    const result = await runCli(['inject', '--os', 'alpine:3.20', '--mirror', 'http://127.0.0.1:1/alpine', target.name]);
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(/^sidekick: cannot bootstrap Alpine from http:\/\/127\.0\.0\.1:1\/alpine: .+\nGive a reachable mirror with --mirror URL/);
    await expectUntouched(before, target.id);
  });

  // No Alpine mirror is reachable from this machine; set SIDEKICK_ALPINE_MIRROR to run it.
  it.skipIf(!process.env.SIDEKICK_ALPINE_MIRROR)(
    'bootstraps Alpine with apk.static from the mirror; apk add works in the target; eject restores',
    async () => {
      const target = await start(inject('fixtures').scratchServer);
      await waitForHttp(target.ip, 8080);
      const before = await snapshotTarget(target.id);
      const injected = await runCli(['inject', '--os', 'alpine', '--mirror', process.env.SIDEKICK_ALPINE_MIRROR!, target.name], { timeoutMs: 300_000 });
      expect(injected.code).toBe(0);
      const apk = await runCli(['shell', '--root', target.name, '--', 'sh', '-c', 'apk add -q curl && curl -s 127.0.0.1:8080'], { timeoutMs: 300_000 });
      expect(apk.stdout.toString()).toBe('hello from scratch\n');
      expect((await runCli(['eject', target.name], { timeoutMs: 300_000 })).code).toBe(0);
      await expectUntouched(before, target.id);
    },
    900_000,
  );
});
