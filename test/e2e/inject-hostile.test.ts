/**
 * Hostile targets (issue 4): a /.sidekick that is a symlink to a host path, a prefix whose
 * parent is such a symlink, a /.sidekick of the target's own, and a target that swaps
 * /.sidekick for a symlink while the injection runs. Each gets a clear refusal, and nothing is
 * written outside the target: the host paths the symlinks name are checked after each attempt.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { docker } from '../fixtures/docker-cli.js';
import { craftedTar, ensureHostileImage, type CraftedEntry } from '../fixtures/hostile-fixtures.js';
import { join } from 'node:path';
import { expectUntouched, removeTarget, REPO_ROOT, runCli, snapshotTarget, startTarget, type TestTarget } from './harness.js';

describe('sidekick inject against hostile targets', () => {
  let hostile = '';
  const targets: TestTarget[] = [];
  const markers: string[] = [];

  beforeAll(async () => {
    hostile = await ensureHostileImage();
  });

  afterEach(async () => {
    await Promise.all(targets.splice(0).map((t) => removeTarget(t.id)));
    await Promise.all(markers.splice(0).map((m) => rm(m, { recursive: true, force: true })));
  });

  /** A host path that must never come into existence. */
  const marker = (): string => {
    const path = `/tmp/sidekick-hostile-marker-${randomBytes(6).toString('hex')}`;
    markers.push(path);
    return path;
  };

  /** A running target with crafted entries put into its root by the docker CLI. */
  async function hostileTarget(entries: CraftedEntry[], command?: string[]): Promise<TestTarget> {
    const target = await startTarget(hostile, command ? { command } : {});
    targets.push(target);
    if (entries.length > 0) await docker(['cp', '-', `${target.id}:/`], { input: craftedTar(entries) });
    return target;
  }

  it('refuses a /.sidekick that is a symlink to a host path', async () => {
    const host = marker();
    const target = await hostileTarget([{ name: '.sidekick', type: 'symlink', linkname: host }]);
    const before = await snapshotTarget(target.id);
    const result = await runCli(['inject', target.name]);
    expect(result.code).toBe(125);
    expect(result.stderr).toBe(
      `sidekick: /.sidekick in ${target.name} is a symbolic link (to ${host}); sidekick does not write through it.\n` +
        'Inject elsewhere with --prefix, or look at what the container put there.\n',
    );
    expect(existsSync(host)).toBe(false);
    await expectUntouched(before, target.id);
    // eject finds nothing of ours there and leaves the link alone.
    const ejected = await runCli(['eject', target.name]);
    expect(ejected.code).toBe(0);
    expect(ejected.stderr).toContain('nothing injected by sidekick was found');
    await expectUntouched(before, target.id);
  });

  it("refuses a prefix whose parent is a symlink", async () => {
    const host = marker();
    const target = await hostileTarget([{ name: 'opt', type: 'symlink', linkname: host }]);
    const before = await snapshotTarget(target.id);
    const result = await runCli(['inject', '--prefix', '/opt/.sidekick', target.name]);
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(new RegExp(`^sidekick: /opt in ${target.name} is a symbolic link \\(to ${host}\\); sidekick does not write through it\\.\\n`));
    expect(existsSync(host)).toBe(false);
    await expectUntouched(before, target.id);
  });

  it('refuses a /.sidekick of the target’s own and leaves it alone on eject', async () => {
    const target = await hostileTarget([
      { name: '.sidekick/', type: 'directory' },
      { name: '.sidekick/app.conf', type: 'file', content: 'mine\n' },
    ]);
    const before = await snapshotTarget(target.id);
    const result = await runCli(['inject', target.name]);
    expect(result.code).toBe(125);
    expect(result.stderr).toBe(
      `sidekick: /.sidekick in ${target.name} is a directory that sidekick did not create.\n` +
        'Inject elsewhere with --prefix PATH; sidekick only writes into directories of its own.\n',
    );
    const ejected = await runCli(['eject', target.name]);
    expect(ejected.code).toBe(0);
    await expectUntouched(before, target.id);
    const kept = await docker(['cp', `${target.id}:/.sidekick/app.conf`, '-']);
    expect(kept).toContain('mine');
  });

  it('refuses a forged manifest that names another prefix', async () => {
    const target = await hostileTarget([
      { name: '.sidekick/', type: 'directory' },
      {
        name: '.sidekick/manifest.json',
        type: 'file',
        content: JSON.stringify({ format: 'sidekick-injection/1', kind: 'toolbox', nonce: 'x', source: 'x', createdAt: 'x', sidekickVersion: 'x', targetId: 'x', prefix: '/', applets: 1 }),
      },
    ]);
    const before = await snapshotTarget(target.id);
    const result = await runCli(['inject', target.name]);
    expect(result.code).toBe(125);
    expect(result.stderr).toContain('is a directory that sidekick did not create.');
    const ejected = await runCli(['eject', target.name]);
    expect(ejected.stderr).toContain('nothing injected by sidekick was found');
    expect(ejected.code).toBe(0);
    await expectUntouched(before, target.id);
  });

  it('will not run as root a toolbox the target’s unprivileged user planted in /tmp', async () => {
    const target = await startTarget(inject('fixtures').distroless);
    targets.push(target);
    const forged = JSON.stringify(
      { format: 'sidekick-injection/1', kind: 'toolbox', nonce: 'x', source: 'x', createdAt: 'x', sidekickVersion: 'x', targetId: 'x', prefix: '/tmp/.sidekick', applets: 1 },
      null,
      1,
    );
    // Owned by the container's user (65532), as if that user had written it.
    await docker(['cp', '-', `${target.id}:/`], {
      input: craftedTar([
        { name: 'tmp/.sidekick/', type: 'directory', uid: 65532 },
        { name: 'tmp/.sidekick/manifest.json', type: 'file', content: `${forged}\n`, uid: 65532 },
        { name: 'tmp/.sidekick/bin/', type: 'directory', uid: 65532 },
        { name: 'tmp/.sidekick/bin/busybox', type: 'file', content: '#!/bin/false\n', uid: 65532 },
      ]),
    });
    const before = await snapshotTarget(target.id);
    for (const args of [['eject', target.name], ['shell', '--root', target.name, '--', 'id']]) {
      const result = await runCli(args);
      expect(result.code).toBe(125);
      expect(result.stderr).toContain('sidekick: the toolbox at /tmp/.sidekick is not owned by root, so sidekick did not write it; it will not run it as root.');
    }
    await expectUntouched(before, target.id);
  });

  it('a toolbox the target rewrote during the injection is not trusted: its manifest is emptied, eject removes it', async () => {
    const target = await hostileTarget([]);
    const before = await snapshotTarget(target.id);
    // The init beside busybox (off PATH, never run here), rewritten just before sidekick checks it.
    const tampered = '/.sidekick/sidekick-init';
    const result = await runCli(['inject', target.name], {
      env: { NODE_OPTIONS: `--require ${join(REPO_ROOT, 'test/fixtures/tamper-before-verify.cjs')}`, TAMPER_TARGET: target.id, TAMPER_PATH: tampered },
    });
    expect(result.code).toBe(125);
    expect(result.stderr).toContain(`/.sidekick in ${target.name} changed while sidekick was writing it; the injection is not trusted.`);
    // No manifest says "complete": the next command takes it for an interrupted injection.
    const manifest = await docker(['exec', target.id, '/.sidekick/bin/busybox', 'sh', '-c', 'cat /.sidekick/manifest.json 2>/dev/null; true']);
    expect(manifest).not.toContain('"kind"');
    const sessions = await runCli(['sessions', '--json']);
    const listed = JSON.parse(sessions.stdout.toString()) as { injections: Array<{ containerId: string; kind: string; state: string }> };
    expect(listed.injections.filter((i) => i.containerId === target.id).map((i) => `${i.kind} ${i.state}`)).toEqual(['toolbox incomplete']);
    const ejected = await runCli(['eject', target.name]);
    expect(ejected.code).toBe(0);
    await expectUntouched(before, target.id);
  });

  it('stops when the target swaps /.sidekick for a symlink while the injection runs', async () => {
    const host = marker();
    const target = await hostileTarget([], ['/swapper', 'swap', host]);
    const result = await runCli(['inject', target.name]);
    expect(result.code).toBe(125);
    expect(result.stderr).toMatch(new RegExp(`^sidekick: /\\.sidekick in ${target.name} changed while sidekick was writing it; (the engine stopped the upload|the injection is not trusted)\\.\\n`));
    // Whatever the engine managed to unpack stayed inside the target's root.
    expect(existsSync(host)).toBe(false);
    const diff = await docker(['diff', target.id]);
    expect(diff).toMatch(/^A \/\.sidekick-moved-0$/m);
    expect((await docker(['inspect', '-f', '{{.State.Status}}', target.id])).trim()).toBe('running');
  });
});
