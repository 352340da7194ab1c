/**
 * What every Engine must do, as cases run against both the fake engine (engine-contract.test.ts)
 * and the real Docker engine (test/e2e/engine-contract.test.ts), so that the fake the session
 * logic's unit tests use cannot drift from the truth (docs/ARCHITECTURE.md, "The engine: core and
 * capabilities").
 *
 * Only what the fake honours is here. Left out on purpose: timing (a stop's grace period, the
 * fake kills at once), processes' real behaviour beyond a few commands (cat, echo, true, false),
 * namespaces as the kernel sees them, mounts and read-only roots, exact `docker diff` of a
 * running container beyond the paths a case wrote, and images' layers.
 */
import { pack } from 'tar-stream';
import { extract as tarExtract } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProcessHandle } from '../../src/core/process-handle.js';
import type { Engine } from '../../src/engines/engine.js';
import { requireCapability } from '../../src/engines/capabilities.js';

export interface ContractContainer {
  id: string;
  name: string;
}

/** The world a case runs in; everything it makes is removed by `cleanup`. */
export interface ContractWorld {
  readonly engine: Engine;
  /** A running container with a writable root whose `cat` prints files, labelled with `labels`. */
  startContainer(labels?: Record<string, string>): Promise<ContractContainer>;
  /** A container made but never started, labelled with `labels`. */
  createContainer(labels?: Record<string, string>): Promise<ContractContainer>;
  /** An image present on the engine, with labels it is known to carry. */
  labelledImage(): Promise<{ reference: string; labels: Record<string, string> }>;
  cleanup(): Promise<void>;
}

/** An entry of a tar a case writes (tarOf). */
export interface TarEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink' | 'link';
  content?: string;
  linkname?: string;
  mode?: number;
}

/** A tar of `entries`, as a stream. */
export function tarOf(entries: TarEntry[]): NodeJS.ReadableStream {
  const archive = pack();
  for (const entry of entries) {
    const header = { name: entry.name, type: entry.type, mode: entry.mode ?? (entry.type === 'directory' ? 0o755 : 0o644), ...(entry.linkname ? { linkname: entry.linkname } : {}) };
    if (entry.content !== undefined) archive.entry(header, entry.content);
    else archive.entry(header);
  }
  archive.finalize();
  return archive as unknown as NodeJS.ReadableStream;
}

async function entriesOf(tar: NodeJS.ReadableStream): Promise<Map<string, { type: string; content: string; linkname: string }>> {
  const found = new Map<string, { type: string; content: string; linkname: string }>();
  const extract = tarExtract();
  tar.pipe(extract as unknown as NodeJS.WritableStream);
  for await (const entry of extract) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    found.set(entry.header.name.replace(/\/$/, ''), { type: entry.header.type, content: Buffer.concat(chunks).toString(), linkname: entry.header.linkname ?? '' });
  }
  return found;
}

async function outputOf(process: ProcessHandle): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  process.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  process.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const { code } = await process.exit;
  return { code, stdout, stderr };
}

const unique = (): string => Math.random().toString(36).slice(2, 10);

export function engineContract(title: string, makeWorld: () => Promise<ContractWorld>): void {
  describe(`Engine contract: ${title}`, () => {
    let world: ContractWorld;
    let engine: Engine;
    beforeEach(async () => {
      world = await makeWorld();
      engine = world.engine;
    });
    afterEach(async () => {
      await world.cleanup();
    });

    describe('the core', () => {
      it('finds a container by name, by ID and by ID prefix', async () => {
        const made = await world.startContainer();
        for (const reference of [made.name, made.id, made.id.slice(0, 12)]) {
          const found = await engine.findContainer(reference);
          expect(found.id).toBe(made.id);
          expect(found.name).toBe(made.name);
          expect(found.status).toBe('running');
        }
      });

      it('says TARGET_NOT_FOUND for a name nothing has', async () => {
        await expect(engine.findContainer(`sidekick-contract-none-${unique()}`)).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND' });
      });

      it('says TARGET_AMBIGUOUS for a prefix that two containers share', async () => {
        const made: ContractContainer[] = [];
        let shared: string | undefined;
        while (shared === undefined) {
          const next = await world.createContainer();
          shared = made.find((other) => other.id[0] === next.id[0])?.id[0];
          made.push(next);
        }
        await expect(engine.findContainer(shared)).rejects.toMatchObject({ code: 'TARGET_AMBIGUOUS' });
      });

      it('lists running containers, all with `all`, filtered by labels (key or key=value)', async () => {
        const mark = `io.sidekick.contract.${unique()}`;
        const running = await world.startContainer({ [mark]: 'a' });
        const stopped = await world.createContainer({ [mark]: 'b' });
        const ids = async (all: boolean, labels: string[]): Promise<string[]> => (await engine.listContainers({ all, labels })).map((c) => c.id).sort();
        expect(await ids(false, [mark])).toEqual([running.id]);
        expect(await ids(true, [mark])).toEqual([running.id, stopped.id].sort());
        expect(await ids(true, [`${mark}=b`])).toEqual([stopped.id]);
        const listed = (await engine.listContainers({ all: true, labels: [`${mark}=a`] }))[0];
        expect(listed).toMatchObject({ id: running.id, names: [running.name], status: 'running' });
        expect(listed?.labels[mark]).toBe('a');
      });

      it('removes a running container with force; a container already gone is fine', async () => {
        const made = await world.startContainer();
        await engine.removeContainer(made.id, { force: true });
        await expect(engine.findContainer(made.id)).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND' });
        await expect(engine.removeContainer(made.id, { force: true })).resolves.toBeUndefined();
      });

      it('stops a running container; stopping one that is stopped, or gone, is fine', async () => {
        const made = await world.startContainer();
        await engine.stopContainer(made.id, { graceSeconds: 1 });
        expect((await engine.findContainer(made.id)).status).toBe('exited');
        await expect(engine.stopContainer(made.id, { graceSeconds: 1 })).resolves.toBeUndefined();
        const created = await world.createContainer();
        await expect(engine.stopContainer(created.id, { graceSeconds: 1 })).resolves.toBeUndefined();
        await engine.removeContainer(created.id, { force: true });
        await expect(engine.stopContainer(created.id, { graceSeconds: 1 })).resolves.toBeUndefined();
      });

      it('runs a process in a container: its output and its exit status', async () => {
        const made = await world.startContainer();
        const archive = requireCapability(engine, 'archive', 'the contract');
        await archive.putArchive(made.id, '/', tarOf([{ name: 'contract-exec.txt', type: 'file', content: 'hello from inside\n' }]));
        const ok = await outputOf(await engine.execInContainer(made.id, { command: ['cat', '/contract-exec.txt'], tty: false, openStdin: false }));
        expect(ok).toEqual({ code: 0, stdout: 'hello from inside\n', stderr: '' });
        const failed = await outputOf(await engine.execInContainer(made.id, { command: ['cat', '/contract-missing'], tty: false, openStdin: false }));
        expect(failed.code).not.toBe(0);
        expect(failed.stdout).toBe('');
        expect(failed.stderr).toContain('/contract-missing');
      });

      it('refuses a process in a container that does not run', async () => {
        const created = await world.createContainer();
        await expect(engine.execInContainer(created.id, { command: ['true'], tty: false, openStdin: false })).rejects.toMatchObject({ code: 'TARGET_NOT_RUNNING' });
      });
    });

    archiveContract(() => world, { goneContainer: true, noOverwriteDirNonDir: true });
    targetLockContract(() => world);

    describe('filesystem diff', () => {
      it('lists what a put added', async () => {
        const made = await world.startContainer();
        const archive = requireCapability(engine, 'archive', 'the contract');
        const diff = requireCapability(engine, 'filesystemDiff', 'the contract');
        await archive.putArchive(made.id, '/', tarOf([
          { name: 'contract-fresh/', type: 'directory' },
          { name: 'contract-fresh/new.txt', type: 'file', content: 'new' },
        ]));
        const changes = await diff.filesystemChanges(made.id);
        expect(changes).toContainEqual({ path: '/contract-fresh', kind: 'added' });
        expect(changes).toContainEqual({ path: '/contract-fresh/new.txt', kind: 'added' });
      });
    });

    describe('images', () => {
      it("reads an image's labels; a missing image is undefined, not an error", async () => {
        const images = requireCapability(engine, 'images', 'the contract');
        const { reference, labels } = await world.labelledImage();
        expect(await images.hasImage(reference)).toBe(true);
        expect(await images.imageLabels(reference)).toMatchObject(labels);
        expect((await images.inspectImage(reference))?.labels).toMatchObject(labels);
        const missing = `sidekick-contract/missing:${unique()}`;
        expect(await images.hasImage(missing)).toBe(false);
        expect(await images.imageLabels(missing)).toBeUndefined();
        expect(await images.inspectImage(missing)).toBeUndefined();
        await expect(images.removeImage(missing)).resolves.toBeUndefined();
      });
    });
  });
}

/**
 * The target lock's cases (the injection lock), also run on their own against the Kubernetes
 * engine through its double (test/e2e/kubernetes-archive.test.ts), whose locks are Leases.
 */
export function targetLockContract(world: () => ContractWorld): void {
  describe('targetLocks', () => {
    it('creates a target\'s lock exclusively, reads its record back, and removes it by its ID', async () => {
      const made = await world().startContainer();
      const engine = world().engine;
      const locks = requireCapability(engine, 'targetLocks', 'the contract');
      const target = await engine.findContainer(made.id);
      const record = { 'io.sidekick.session': 'contract', 'io.sidekick.kind': 'lock', 'io.sidekick.target': target.id, 'io.sidekick.lock.holder': 'contract-host:1' };
      const id = await locks.createTargetLock(target, record);
      expect(id).toEqual(expect.any(String));
      try {
        // A second holder is told that the lock exists, and can read who holds it.
        expect(await locks.createTargetLock(target, { ...record, 'io.sidekick.lock.holder': 'contract-host:2' })).toBeUndefined();
        const found = await locks.findTargetLock(target);
        expect(found?.id).toBe(id);
        expect(found?.record).toMatchObject(record);
      } finally {
        await locks.removeTargetLock(target, id!);
      }
      expect(await locks.findTargetLock(target)).toBeUndefined();
      // Removing it again is fine; and the target can be locked again.
      await expect(locks.removeTargetLock(target, id!)).resolves.toBeUndefined();
      const again = await locks.createTargetLock(target, record);
      expect(again).toEqual(expect.any(String));
      await locks.removeTargetLock(target, again!);
      expect(await locks.findTargetLock(target)).toBeUndefined();
    });
  });
}

/**
 * The archive capability's cases, also run on their own against an engine whose world cannot
 * make every kind of container (the Kubernetes engine through its double:
 * test/e2e/kubernetes-archive.test.ts). `goneContainer`: the engine can remove a target;
 * `noOverwriteDirNonDir`: it honours that option of putArchive.
 */
export function archiveContract(world: () => ContractWorld, options: { goneContainer: boolean; noOverwriteDirNonDir: boolean }): void {
describe('archive', () => {
    it('round-trips files: put, stat, get', async () => {
      const made = await world().startContainer();
      const archive = requireCapability(world().engine, 'archive', 'the contract');
      await archive.putArchive(made.id, '/', tarOf([
        { name: 'contract/', type: 'directory' },
        { name: 'contract/f.txt', type: 'file', content: 'twelve bytes', mode: 0o640 },
      ]));
      const stat = await archive.statPath(made.id, '/contract/f.txt');
      expect(stat).toMatchObject({ name: 'f.txt', kind: 'file', size: 12, mode: 0o640, linkTarget: '' });
      expect((await archive.statPath(made.id, '/contract'))?.kind).toBe('dir');
      const got = await archive.getArchive(made.id, '/contract');
      expect(got.stat?.kind).toBe('dir');
      const entries = await entriesOf(got.tar);
      expect(entries.get('contract')?.type).toBe('directory');
      expect(entries.get('contract/f.txt')).toMatchObject({ type: 'file', content: 'twelve bytes' });
    });

    it('says undefined for a missing path, and refuses to read it or write into it', async () => {
      const made = await world().startContainer();
      const archive = requireCapability(world().engine, 'archive', 'the contract');
      expect(await archive.statPath(made.id, '/contract-nothing-here')).toBeUndefined();
      await expect(archive.getArchive(made.id, '/contract-nothing-here')).rejects.toMatchObject({ code: 'ENGINE_ERROR' });
      await expect(archive.putArchive(made.id, '/contract-nothing-here', tarOf([{ name: 'x', type: 'file', content: 'x' }]))).rejects.toMatchObject({ code: 'ENGINE_ERROR' });
    });

    (options.goneContainer ? it : it.skip)('for a container that is gone: a read says TARGET_NOT_FOUND, a stat only that nothing is there', async () => {
      const made = await world().startContainer();
      await world().engine.removeContainer(made.id, { force: true });
      const archive = requireCapability(world().engine, 'archive', 'the contract');
      await expect(archive.getArchive(made.id, '/')).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND' });
      // Docker answers the stat (HEAD) with a bare 404, the same as for a missing path.
      expect(await archive.statPath(made.id, '/')).toBeUndefined();
    });

    it('resolves a symlink within the container root, never out of it', async () => {
      const made = await world().startContainer();
      const archive = requireCapability(world().engine, 'archive', 'the contract');
      // The link climbs far above the root: resolved in the container, it stops at its /.
      await archive.putArchive(made.id, '/', tarOf([
        { name: 'contract-data/', type: 'directory' },
        { name: 'contract-data/inside.txt', type: 'file', content: 'the container own file' },
        { name: 'contract-sub/', type: 'directory' },
        { name: 'contract-sub/escape', type: 'symlink', linkname: '../../../../../../../contract-data' },
      ]));
      const link = await archive.statPath(made.id, '/contract-sub/escape');
      expect(link).toMatchObject({ kind: 'symlink', linkTarget: '/contract-data' });
      expect((await archive.statPath(made.id, '/contract-sub/escape/.'))?.kind).toBe('dir');
      // The link itself is archived as a link, not followed.
      const asLink = await entriesOf((await archive.getArchive(made.id, '/contract-sub/escape')).tar);
      expect([...asLink.keys()]).toEqual(['escape']);
      expect(asLink.get('escape')).toMatchObject({ type: 'symlink', linkname: '../../../../../../../contract-data' });
      // Through the link: the container's own file.
      const through = await entriesOf((await archive.getArchive(made.id, '/contract-sub/escape/inside.txt')).tar);
      expect(through.get('inside.txt')?.content).toBe('the container own file');
      // A write through the link lands inside the root too.
      await archive.putArchive(made.id, '/contract-sub/escape', tarOf([{ name: 'written.txt', type: 'file', content: 'w' }]));
      expect((await archive.statPath(made.id, '/contract-data/written.txt'))?.kind).toBe('file');
    });

    it('refuses a tar entry that climbs out of the directory it is unpacked into', async () => {
      const made = await world().startContainer();
      const archive = requireCapability(world().engine, 'archive', 'the contract');
      await archive.putArchive(made.id, '/', tarOf([{ name: 'contract-inner/', type: 'directory' }]));
      await expect(archive.putArchive(made.id, '/contract-inner', tarOf([{ name: 'link', type: 'symlink', linkname: '../../etc' }]))).rejects.toMatchObject({ code: 'ENGINE_ERROR' });
      expect(await archive.statPath(made.id, '/contract-inner/link')).toBeUndefined();
    });

    (options.noOverwriteDirNonDir ? it : it.skip)('with noOverwriteDirNonDir, never replaces a directory by a file or a file by a directory', async () => {
      const made = await world().startContainer();
      const archive = requireCapability(world().engine, 'archive', 'the contract');
      await archive.putArchive(made.id, '/', tarOf([
        { name: 'contract-dir/', type: 'directory' },
        { name: 'contract-dir/kept.txt', type: 'file', content: 'kept' },
        { name: 'contract-file', type: 'file', content: 'a file' },
      ]));
      await expect(archive.putArchive(made.id, '/', tarOf([{ name: 'contract-dir', type: 'file', content: 'x' }]), { noOverwriteDirNonDir: true })).rejects.toMatchObject({ code: 'ENGINE_ERROR' });
      await expect(archive.putArchive(made.id, '/', tarOf([{ name: 'contract-file/', type: 'directory' }]), { noOverwriteDirNonDir: true })).rejects.toMatchObject({ code: 'ENGINE_ERROR' });
      expect((await archive.statPath(made.id, '/contract-dir'))?.kind).toBe('dir');
      expect((await archive.statPath(made.id, '/contract-dir/kept.txt'))?.kind).toBe('file');
      expect((await archive.statPath(made.id, '/contract-file'))?.kind).toBe('file');
    });

    (options.noOverwriteDirNonDir ? it : it.skip)('with noOverwriteDirNonDir, refuses a directory entry where a symbolic link is, and writes nothing through it', async () => {
      const made = await world().startContainer();
      const archive = requireCapability(world().engine, 'archive', 'the contract');
      await archive.putArchive(made.id, '/', tarOf([
        { name: 'contract-real/', type: 'directory' },
        { name: 'contract-link', type: 'symlink', linkname: 'contract-real' },
      ]));
      const upload = tarOf([
        { name: 'contract-before.txt', type: 'file', content: 'before' },
        { name: 'contract-link/', type: 'directory' },
        { name: 'contract-link/through.txt', type: 'file', content: 'x' },
      ]);
      await expect(archive.putArchive(made.id, '/', upload, { noOverwriteDirNonDir: true })).rejects.toMatchObject({ code: 'ENGINE_ERROR' });
      expect(await archive.statPath(made.id, '/contract-real/through.txt')).toBeUndefined();
      expect((await archive.statPath(made.id, '/contract-link'))?.kind).toBe('symlink');
      // What came before the refused entry is written, as a tar does.
      expect((await archive.statPath(made.id, '/contract-before.txt'))?.kind).toBe('file');
    });

    (options.noOverwriteDirNonDir ? it : it.skip)('with noOverwriteDirNonDir, writes a tree: directories, files, hard and symbolic links', async () => {
      const made = await world().startContainer();
      const archive = requireCapability(world().engine, 'archive', 'the contract');
      await archive.putArchive(made.id, '/', tarOf([{ name: 'contract-tree/', type: 'directory' }, { name: 'contract-tree/old.txt', type: 'file', content: 'old' }]));
      await archive.putArchive(made.id, '/', tarOf([
        { name: 'contract-tree/', type: 'directory' },
        { name: 'contract-tree/bin/', type: 'directory' },
        { name: 'contract-tree/bin/tool', type: 'file', content: 'a tool', mode: 0o755 },
        { name: 'contract-tree/top.txt', type: 'file', content: 'top' },
        // The same mode as its file: the Docker engine sets a hard link's mode on the file they share, busybox's tar does not.
        { name: 'contract-tree/bin/alias', type: 'link', linkname: 'contract-tree/bin/tool', mode: 0o755 },
        { name: 'contract-tree/bin/sym', type: 'symlink', linkname: 'tool' },
        { name: 'contract-tree/old.txt', type: 'file', content: 'replaced' },
      ]), { noOverwriteDirNonDir: true });
      expect(await archive.statPath(made.id, '/contract-tree/bin/tool')).toMatchObject({ kind: 'file', size: 6, mode: 0o755 });
      expect(await archive.statPath(made.id, '/contract-tree/bin/alias')).toMatchObject({ kind: 'file', size: 6 });
      expect(await archive.statPath(made.id, '/contract-tree/bin/sym')).toMatchObject({ kind: 'symlink' });
      expect(await archive.statPath(made.id, '/contract-tree/top.txt')).toMatchObject({ kind: 'file', size: 3 });
      expect(await archive.statPath(made.id, '/contract-tree/old.txt')).toMatchObject({ kind: 'file', size: 8 });
    });

    (options.noOverwriteDirNonDir ? it : it.skip)('with noOverwriteDirNonDir, links a file into another directory (a rootfs has such hard links)', async () => {
      const made = await world().startContainer();
      const archive = requireCapability(world().engine, 'archive', 'the contract');
      await archive.putArchive(made.id, '/', tarOf([
        { name: 'contract-links/', type: 'directory' },
        { name: 'contract-links/usr/', type: 'directory' },
        { name: 'contract-links/usr/bin/', type: 'directory' },
        { name: 'contract-links/usr/bin/perl', type: 'file', content: 'a perl', mode: 0o755 },
        { name: 'contract-links/bin/', type: 'directory' },
        { name: 'contract-links/bin/perl', type: 'link', linkname: 'contract-links/usr/bin/perl', mode: 0o755 },
      ]), { noOverwriteDirNonDir: true });
      expect(await archive.statPath(made.id, '/contract-links/bin/perl')).toMatchObject({ kind: 'file', size: 6, mode: 0o755 });
      const got = await entriesOf((await archive.getArchive(made.id, '/contract-links/bin/perl')).tar);
      expect(got.get('perl')?.content).toBe('a perl');
    });
  });
}
