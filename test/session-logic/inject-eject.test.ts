/**
 * Injection records on the fake engine (test/fake-engine/): a toolbox's manifest published last,
 * an injection cut before it never trusted and completed by the next one, and an OS's eject that
 * removes exactly what its manifest records. The real engine's side is test/e2e/inject*.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { SidekickError } from '../../src/core/errors.js';
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

  it('writes the toolbox with its intent first, publishes the manifest last, and is found as injected', async () => {
    const first = await injectInto(engine, web);
    expect(first.written).toBe(true);
    const uploads = engine.callsOf('putArchive');
    expect(uploads).toHaveLength(2);
    expect(web.fs.at(`${PREFIX}/bin/busybox`)?.type).toBe('file');
    expect(web.fs.at(`${PREFIX}/${TOOLBOX_INTENT_NAME}`)?.type).toBe('file');
    const found = await findInjections(engine, web.id);
    expect(found.toolbox).toMatchObject({ kind: 'toolbox', prefix: PREFIX, targetId: web.id, nonce: first.manifest.nonce });
    expect(found.incompleteToolbox).toBeUndefined();
    // Already there: nothing is written again.
    expect((await injectInto(engine, web)).written).toBe(false);
    expect(engine.callsOf('putArchive')).toHaveLength(2);
  });

  it('an injection cut before its manifest is recorded as incomplete, never as a toolbox, and the next one completes it', async () => {
    let uploads = 0;
    engine.failOn('putArchive', () => (++uploads === 2 ? new SidekickError('ENGINE_GONE', 'the engine went away mid-answer') : undefined));
    await expect(injectInto(engine, web)).rejects.toMatchObject({ code: 'ENGINE_GONE' });
    expect(web.fs.at(`${PREFIX}/${TOOLBOX_MANIFEST_NAME}`)).toBeUndefined();
    const found = await findInjections(engine, web.id);
    expect(found.toolbox).toBeUndefined();
    expect(found.incompleteToolbox).toMatchObject({ prefix: PREFIX, targetId: web.id });
    const again = await injectInto(engine, web);
    expect(again.written).toBe(true);
    expect((await findInjections(engine, web.id)).toolbox?.nonce).toBe(again.manifest.nonce);
  });

  it('a manifest that is a symlink is never read: the target may point it at anything', async () => {
    const real = encodeManifest({ format: MANIFEST_FORMAT, kind: 'toolbox', nonce: 'n', source: 's', createdAt: '', sidekickVersion: 'x', targetId: web.id, prefix: PREFIX, applets: 1 });
    web.fs.writeFile('/tmp/planted.json', real);
    web.fs.symlink(`${PREFIX}/${TOOLBOX_MANIFEST_NAME}`, '/tmp/planted.json');
    expect((await findInjections(engine, web.id)).toolbox).toBeUndefined();
    web.fs.remove(`${PREFIX}/${TOOLBOX_MANIFEST_NAME}`);
    web.fs.writeFile(`${PREFIX}/${TOOLBOX_MANIFEST_NAME}`, real);
    expect((await findInjections(engine, web.id)).toolbox?.nonce).toBe('n');
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
  it('removes exactly what the manifest records, keeps what was added since and before, and the manifest last', async () => {
    const engine = new FakeEngine();
    const image = new FakeFilesystem().mkdir('/tmp').mkdir('/data').writeFile('/app', 'the app');
    const web = engine.addContainer('web', { fs: image });
    // Before the injection: the target's own addition (the baseline).
    web.fs.writeFile('/data/before.log', 'mine, before');
    // The injection.
    const written = ['/usr', '/usr/bin', '/usr/bin/apt', '/usr/lib', '/usr/lib/libx.so', '/etc', '/etc/os-release'];
    for (const path of written) {
      if (path.includes('.') || path.endsWith('apt')) web.fs.writeFile(path, `ours: ${path}`);
      else web.fs.mkdir(path);
    }
    // After it: the user's own files, inside a created root and beside it.
    web.fs.writeFile('/usr/local/mine.txt', 'mine, after');
    web.fs.writeFile('/etc/app.conf', 'mine, after');
    const manifest: OsManifest = {
      format: MANIFEST_FORMAT, kind: 'os', nonce: 'n', source: 'rootfs test', createdAt: '', sidekickVersion: 'test', targetId: web.id,
      createdRoots: ['/usr', '/etc'], existingDirs: ['/'], keptCount: 0, conflicts: [], baselineAdded: ['/data/before.log'], toolboxPrefix: PREFIX, written,
    };
    web.fs.writeFile(OS_MANIFEST_PATH, encodeManifest(manifest));
    // The removal sidekick's image: the default toolbox this host would use.
    const candidate = await defaultToolboxCandidate(env);
    engine.addImage(candidate?.image ?? 'busybox:musl', { labels: { [LABEL_KIND]: 'toolbox', [LABEL_TOOLBOX_INIT]: '/.sidekick-init', [LABEL_TOOLBOX_STATIC]: 'true' } });
    const removed: string[] = [];
    engine.behaviour.sidekick = removalSidekick(engine, removed);

    const result = await eject(engine, await engine.findContainer('web'), { env });

    expect([...removed].sort()).toEqual(['/etc/os-release', '/usr/bin', '/usr/lib', OS_MANIFEST_PATH].sort());
    expect(removed.at(-1)).toBe(OS_MANIFEST_PATH);
    for (const kept of ['/usr/local/mine.txt', '/etc/app.conf', '/data/before.log', '/app']) expect(web.fs.at(kept)?.type).toBe('file');
    expect(result.os?.nonce).toBe('n');
    expect(result.kept).toEqual(expect.arrayContaining(['/usr/local', '/etc/app.conf']));
    // The lock (a container never started) and the removal sidekick are gone.
    expect([...engine.containerMap.values()].map((c) => c.name)).toEqual(['web']);
  });
});
