/**
 * `sidekick cp`'s confinement on the fake engine (test/fake-engine/): what a hostile container
 * puts in its archive never writes outside the local destination, and a link is copied as a
 * link, never followed on this host. The real engine's side is test/e2e/cp*.test.ts.
 */
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ContainerPathStat } from '../../src/core/path-stat.js';
import { copyFromTarget } from '../../src/debug/cp/copy-files.js';
import { copyToTarget } from '../../src/debug/cp/copy-to-target.js';
import { craftedTar, type CraftedEntry } from '../fixtures/hostile-fixtures.js';
import { asFromTheNetwork } from '../fake-engine/fake-archive.js';
import { FakeEngine, type FakeContainer } from '../fake-engine/fake-engine.js';
import { FakeFilesystem } from '../fake-engine/fake-filesystem.js';

/** An engine whose archive of any path is the crafted one: a container that lies about its files. */
class LyingEngine extends FakeEngine {
  constructor(private readonly entries: CraftedEntry[]) {
    super();
  }

  override async getArchive(containerId: string, wanted: string): Promise<{ tar: NodeJS.ReadableStream; stat: ContainerPathStat | undefined }> {
    const { stat } = await super.getArchive(containerId, wanted);
    return { tar: asFromTheNetwork(craftedTar(this.entries) as unknown as NodeJS.ReadableStream), stat };
  }
}

describe('cp confinement (fake engine)', () => {
  let work: string;
  let outside: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'sidekick-cp-fake-'));
    outside = path.join(work, 'outside');
    await mkdir(outside);
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const stdout = new PassThrough();

  it("copies a container's symlink as a link, and writes nothing where it points on this host", async () => {
    const engine = new FakeEngine();
    engine.addContainer('web', { fs: new FakeFilesystem().writeFile('/data/real.txt', 'real').symlink('/data/to-host', outside) });
    await copyFromTarget(engine, { target: 'web', path: '/data', contentsOnly: false }, path.join(work, 'copy'), stdout);
    expect(await readFile(path.join(work, 'copy', 'real.txt'), 'utf8')).toBe('real');
    expect(await readlink(path.join(work, 'copy', 'to-host'))).toBe(outside);
    expect(await readdir(outside)).toEqual([]);
  });

  it('refuses an archive whose entry goes through a symlink it planted, and leaves the destination as it was', async () => {
    const engine = new LyingEngine([
      { name: 'data/', type: 'directory' },
      { name: 'data/link', type: 'symlink', linkname: outside },
      { name: 'data/link/pwned', type: 'file', content: 'pwned' },
    ]);
    engine.addContainer('web', { fs: new FakeFilesystem().mkdir('/data') });
    const destination = path.join(work, 'copy');
    await expect(copyFromTarget(engine, { target: 'web', path: '/data', contentsOnly: false }, destination, stdout)).rejects.toMatchObject({ code: 'UNSAFE_ARCHIVE' });
    expect(await readdir(outside)).toEqual([]);
    expect(await readdir(work)).toEqual(['outside']);
  });

  it("refuses an archive entry that climbs out with '..'", async () => {
    const engine = new LyingEngine([
      { name: 'data/', type: 'directory' },
      { name: 'data/../../outside/escaped', type: 'file', content: 'x' },
    ]);
    engine.addContainer('web', { fs: new FakeFilesystem().mkdir('/data') });
    await expect(copyFromTarget(engine, { target: 'web', path: '/data', contentsOnly: false }, path.join(work, 'copy'), stdout)).rejects.toMatchObject({ code: 'UNSAFE_ARCHIVE' });
    expect(await readdir(outside)).toEqual([]);
  });

  it('replaces a local symlink at the destination name rather than writing through it', async () => {
    const engine = new FakeEngine();
    engine.addContainer('web', { fs: new FakeFilesystem().writeFile('/etc/app.conf', 'from the container') });
    await writeFile(path.join(outside, 'precious'), 'keep me');
    const into = path.join(work, 'into');
    await mkdir(into);
    await symlink(path.join(outside, 'precious'), path.join(into, 'app.conf'));
    await copyFromTarget(engine, { target: 'web', path: '/etc/app.conf', contentsOnly: false }, into, stdout);
    expect(await readFile(path.join(outside, 'precious'), 'utf8')).toBe('keep me');
    expect((await lstat(path.join(into, 'app.conf'))).isFile()).toBe(true);
    expect(await readFile(path.join(into, 'app.conf'), 'utf8')).toBe('from the container');
  });

  it("into a stopped container: a destination that is the container's symlink to a directory is followed there, one to a file is refused", async () => {
    const engine = new FakeEngine();
    const fs = new FakeFilesystem().mkdir('/srv/real').writeFile('/etc/passwd', 'root:x:0:0').symlink('/srv/drop', '../../../../real-dir-elsewhere').mkdir('/real-dir-elsewhere').symlink('/srv/file-link', '/etc/passwd');
    const web: FakeContainer = engine.addContainer('web', { status: 'exited', fs });
    await writeFile(path.join(work, 'file.txt'), 'uploaded');
    await copyToTarget(engine, path.join(work, 'file.txt'), { target: 'web', path: '/srv/drop/', contentsOnly: false }, new PassThrough());
    expect(web.fs.readFile('/real-dir-elsewhere/file.txt')?.toString()).toBe('uploaded');
    await expect(copyToTarget(engine, path.join(work, 'file.txt'), { target: 'web', path: '/srv/file-link/', contentsOnly: false }, new PassThrough())).rejects.toMatchObject({
      code: 'PATH_NOT_FOUND',
      message: expect.stringContaining('is a symlink to /etc/passwd'),
    });
    expect(web.fs.readFile('/etc/passwd')?.toString()).toBe('root:x:0:0');
  });

  it('on an engine without an archive API, says so before looking for the target', async () => {
    const engine = FakeEngine.without('archive');
    engine.addContainer('web');
    await expect(copyFromTarget(engine, { target: 'web', path: '/etc', contentsOnly: false }, path.join(work, 'copy'), stdout)).rejects.toMatchObject({
      code: 'ENGINE_UNSUPPORTED',
      message: expect.stringContaining('copy files (sidekick cp)'),
    });
    expect(engine.callsOf('findContainer')).toEqual([]);
  });
});
