/**
 * Injection records on the fake engine (test/fake-engine/): a toolbox's manifest published last,
 * an injection cut before it never trusted and completed by the next one, and an OS's eject that
 * removes exactly what its manifest records. The real engine's side is test/e2e/inject*.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { encodeManifest, MANIFEST_FORMAT, OS_MANIFEST_PATH, TOOLBOX_INTENT_NAME, TOOLBOX_MANIFEST_NAME, type OsManifest } from '../../src/core/inject/injection-manifest.js';
import { LABEL_KIND, LABEL_TOOLBOX_INIT, LABEL_TOOLBOX_STATIC } from '../../src/core/labels.js';
import { eject } from '../../src/debug/inject/eject.js';
import { findInjections } from '../../src/debug/inject/find-injections.js';
import { injectToolbox } from '../../src/debug/inject/inject-toolbox.js';
import { defaultToolboxCandidate } from '../../src/debug/toolbox.js';
import type { SidekickSpec } from '../../src/engines/engine.js';
import { FakeEngine, type FakeContainer } from '../fake-engine/fake-engine.js';
import { FakeFilesystem } from '../fake-engine/fake-filesystem.js';
import type { FakeProcess } from '../fake-engine/fake-process.js';

const PREFIX = '/.sidekick';
const env = process.env;

async function injectInto(engine: FakeEngine, container: FakeContainer) {
  return injectToolbox(engine, await engine.findContainer(container.id), { prefix: PREFIX, sidekickVersion: 'test', env });
}

describe('toolbox injection records (fake engine)', () => {
  let engine: FakeEngine;
  let web: FakeContainer;
  beforeEach(() => {
    engine = new FakeEngine();
    web = engine.addContainer('web', { fs: new FakeFilesystem().mkdir('/tmp').writeFile('/app', 'the app') });
  });

  it('writes the toolbox in one upload, its intent first and its manifest last, and is found as injected', async () => {
    const first = await injectInto(engine, web);
    expect(first.written).toBe(true);
    expect(engine.uploads).toHaveLength(1);
    const names = engine.uploads[0]?.entries.map((name) => name.replace(/\/$/, '')) ?? [];
    expect(names[0]).toBe('.sidekick');
    expect(names[1]).toBe(`.sidekick/${TOOLBOX_INTENT_NAME}`);
    expect(names.at(-1)).toBe(`.sidekick/${TOOLBOX_MANIFEST_NAME}`);
    expect(web.fs.at(`${PREFIX}/bin/busybox`)?.type).toBe('file');
    const found = await findInjections(engine, web.id);
    expect(found.toolbox).toMatchObject({ kind: 'toolbox', prefix: PREFIX, targetId: web.id, nonce: first.manifest.nonce });
    expect(found.incompleteToolbox).toBeUndefined();
    // Already there: nothing is written again.
    expect((await injectInto(engine, web)).written).toBe(false);
    expect(engine.uploads).toHaveLength(1);
  });

  it('an injection cut before its manifest is recorded as incomplete, never as a toolbox, and the next one completes it', async () => {
    // Cut after the prefix, the intent and the busybox: the applets and the manifest never arrive.
    engine.cutNextUploadAfter = 3;
    await expect(injectInto(engine, web)).rejects.toMatchObject({ code: 'ENGINE_GONE' });
    expect(web.fs.at(`${PREFIX}/${TOOLBOX_INTENT_NAME}`)?.type).toBe('file');
    expect(web.fs.at(`${PREFIX}/${TOOLBOX_MANIFEST_NAME}`)).toBeUndefined();
    const found = await findInjections(engine, web.id);
    expect(found.toolbox).toBeUndefined();
    expect(found.incompleteToolbox).toMatchObject({ prefix: PREFIX, targetId: web.id });
    const again = await injectInto(engine, web);
    expect(again.written).toBe(true);
    expect((await findInjections(engine, web.id)).toolbox?.nonce).toBe(again.manifest.nonce);
  });

  it('a prefix the target made a symlink is refused before anything is written through it', async () => {
    web.fs.symlink(PREFIX, '/tmp');
    await expect(injectInto(engine, web)).rejects.toMatchObject({ code: 'INJECTION_REFUSED', message: expect.stringContaining('symbolic link') });
    expect(engine.callsOf('putArchive')).toEqual([]);
    expect(web.fs.children('/tmp')).toEqual([]);
  });

  it('an intent record the target planted (not root-owned) is not taken for an interrupted injection of ours', async () => {
    const prefix = '/tmp/.sidekick';
    const intent = encodeManifest({ format: MANIFEST_FORMAT, kind: 'toolbox', nonce: 'n', source: 's', createdAt: '', sidekickVersion: 'x', targetId: web.id, prefix, applets: 1 });
    web.fs.mkdir(prefix).writeFile(`${prefix}/${TOOLBOX_INTENT_NAME}`, intent, 0o644, { uid: 1000, gid: 1000 });
    const target = await engine.findContainer(web.id);
    await expect(injectToolbox(engine, target, { prefix, sidekickVersion: 'test', env })).rejects.toMatchObject({ code: 'INJECTION_REFUSED' });
    expect(engine.callsOf('putArchive')).toEqual([]);
  });
});

/**
 * The removal sidekick of eject, played by the fake: it applies the removal protocol's lines
 * (remove-through-sidekick.ts) to the target's filesystem, as the real one does in a chroot.
 */
function removalSidekick(engine: FakeEngine, removed: string[]): (spec: SidekickSpec) => (process: FakeProcess) => Promise<void> {
  return (spec) => async (process) => {
    const target = 'id' in spec.target ? engine.containerMap.get(spec.target.id) : undefined;
    let input = '';
    for await (const chunk of process.stdin ?? []) input += String(chunk);
    for (const line of input.split('\n').filter(Boolean)) {
      const [op, path = ''] = [line.slice(0, 1), line.slice(2)];
      const at = target?.fs.resolve(path, false);
      if (target === undefined || at === undefined || target.fs.at(at) === undefined) continue;
      if (op === 'R' || op === 'F') {
        target.fs.remove(at);
        removed.push(path);
      }
      if (op === 'H' && target.fs.children(at).length === 0) target.fs.remove(at);
    }
    process.end(0);
  };
}

describe('eject of an injected OS (fake engine)', () => {
  async function injectedOs(manifestFor: (targetId: string) => OsManifest, options: { withoutDiff?: boolean } = {}) {
    const engine = options.withoutDiff ? FakeEngine.without('filesystemDiff') : new FakeEngine();
    const web = engine.addContainer('web', { fs: new FakeFilesystem().mkdir('/tmp').writeFile('/app', 'the app') });
    // Before the injection: the target's own addition (the baseline).
    web.fs.writeFile('/data/before.log', 'mine, before');
    // The injection.
    for (const path of WRITTEN) {
      if (path.includes('.') || path.endsWith('apt')) web.fs.writeFile(path, `ours: ${path}`);
      else web.fs.mkdir(path);
    }
    // After it: the user's own files, inside a created root and beside it.
    web.fs.writeFile('/usr/local/mine.txt', 'mine, after');
    web.fs.writeFile('/etc/app.conf', 'mine, after');
    web.fs.writeFile(OS_MANIFEST_PATH, encodeManifest(manifestFor(web.id)));
    // The removal sidekick's image: the default toolbox this host would use.
    const candidate = await defaultToolboxCandidate(env);
    engine.addImage(candidate?.image ?? 'busybox:musl', { labels: { [LABEL_KIND]: 'toolbox', [LABEL_TOOLBOX_INIT]: '/.sidekick-init', [LABEL_TOOLBOX_STATIC]: 'true' } });
    const removed: string[] = [];
    engine.behaviour.sidekick = removalSidekick(engine, removed);
    return { engine, web, removed };
  }

  const WRITTEN = ['/usr', '/usr/bin', '/usr/bin/apt', '/usr/lib', '/usr/lib/libx.so', '/etc', '/etc/os-release'];
  const osManifest = (targetId: string, more: Partial<OsManifest>): OsManifest => ({
    format: MANIFEST_FORMAT, kind: 'os', nonce: 'n', source: 'rootfs test', createdAt: '', sidekickVersion: 'test', targetId,
    createdRoots: ['/usr', '/etc'], existingDirs: ['/'], keptCount: 0, conflicts: [], baselineAdded: ['/data', '/data/before.log'], toolboxPrefix: PREFIX, ...more,
  });

  it('removes exactly what the manifest records, keeps what was added since and before, and the manifest last', async () => {
    const { engine, web, removed } = await injectedOs((id) => osManifest(id, { written: WRITTEN }));

    const result = await eject(engine, await engine.findContainer('web'), { env });

    expect([...removed].sort()).toEqual(['/etc/os-release', '/usr/bin', '/usr/lib', OS_MANIFEST_PATH].sort());
    expect(removed.at(-1)).toBe(OS_MANIFEST_PATH);
    for (const kept of ['/usr/local/mine.txt', '/etc/app.conf', '/data/before.log', '/app']) expect(web.fs.at(kept)?.type).toBe('file');
    expect(result.os?.nonce).toBe('n');
    expect(result.kept).toEqual(expect.arrayContaining(['/usr/local', '/etc/app.conf']));
    // The lock (a container never started) and the removal sidekick are gone.
    expect([...engine.containerMap.values()].map((c) => c.name)).toEqual(['web']);
  });

  it('on an engine without a diff (a pod), against the walk taken before: what was there before stays even when the package manager claims it; what was added since is ours or kept, as with a diff', async () => {
    // The walk before the injection: every path the target had (the fake's walk lists them all).
    const before = ['/app', '/data', '/data/before.log', '/etc', '/etc/ssl-own.pem', '/tmp'];
    const { engine, web, removed } = await injectedOs((id) => osManifest(id, { baseline: 'walk', baselineAdded: before, createdRoots: ['/usr', '/etc/os-release'], written: WRITTEN.filter((p) => p !== '/etc') }), { withoutDiff: true });
    web.fs.writeFile('/etc/ssl-own.pem', 'the target\'s own, rewritten by a package');
    // dpkg's record claims the target's own file and one the package added beside it.
    web.fs.writeFile('/var/lib/dpkg/info/ca.list', '/etc/ssl-own.pem\n/etc/ssl-new.pem\n');
    web.fs.writeFile('/etc/ssl-new.pem', 'the package\'s');
    const result = await eject(engine, await engine.findContainer('web'), { env });
    expect(removed).toContain('/etc/ssl-new.pem');
    expect(removed).not.toContain('/etc/ssl-own.pem');
    for (const kept of ['/etc/ssl-own.pem', '/data/before.log', '/app', '/usr/local/mine.txt', '/etc/app.conf']) expect(web.fs.at(kept)?.type, kept).toBe('file');
    expect(result.kept).toEqual(expect.arrayContaining(['/usr/local', '/etc/app.conf']));
    expect(result.kept).not.toContain('/data/before.log');
    expect(engine.calls.map((call) => call.method).filter((method) => method === 'filesystemChanges' || method === 'rootFilesystemPaths')).toEqual(['rootFilesystemPaths', 'rootFilesystemPaths']);
  });

  it('with a manifest from before `written` was recorded: all under the created roots goes; what was there before is neither removed nor reported', async () => {
    const { engine, web, removed } = await injectedOs((id) => osManifest(id, {}));
    const result = await eject(engine, await engine.findContainer('web'), { env });
    expect([...removed].sort()).toEqual(['/etc', '/usr', OS_MANIFEST_PATH].sort());
    expect(web.fs.at('/data/before.log')?.type).toBe('file');
    expect(result.kept).toEqual([]);
  });
});
