import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pack, type Header } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractTarSafely } from './extract-tar-safely.js';
import { UnsafeArchiveError } from './unsafe-archive-error.js';

type FixtureEntry = Partial<Header> & { name: string; body?: string | Buffer };

const MTIME = new Date('2021-03-04T05:06:07Z');

/** Builds a tar in memory with tar-stream's own writer, so hostile headers are well-formed tar. */
async function tarOf(entries: FixtureEntry[]): Promise<Buffer> {
  const packer = pack();
  for (const { body, ...header } of entries) {
    const full = { mtime: MTIME, ...header };
    if (body === undefined) packer.entry(full);
    else packer.entry(full, body);
  }
  packer.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of packer) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Feeds the tar in small pieces, so headers and bodies straddle reads as they do off a socket. */
function streamOf(tar: Buffer, pieceSize = 97): Readable {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < tar.length; offset += pieceSize) pieces.push(tar.subarray(offset, offset + pieceSize));
  return Readable.from(pieces, { objectMode: false });
}

async function extractEntries(entries: FixtureEntry[], destination: string, options = {}) {
  return extractTarSafely(streamOf(await tarOf(entries)), destination, options);
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch {
    return false;
  }
}

let base: string;
let dest: string;
let outside: string;
let marker: string;
let markerBefore: { mtimeMs: number; ino: number };

beforeEach(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'sidekick-extract-'));
  dest = path.join(base, 'dest');
  outside = path.join(base, 'outside');
  marker = path.join(outside, 'marker');
  await fs.mkdir(dest);
  await fs.mkdir(outside);
  await fs.writeFile(marker, 'original');
  await fs.utimes(marker, new Date('2000-01-01T00:00:00Z'), new Date('2000-01-01T00:00:00Z'));
  const stat = await fs.lstat(marker);
  markerBefore = { mtimeMs: stat.mtimeMs, ino: stat.ino };
});

afterEach(async () => {
  // A test may leave a read-only directory behind; make it removable.
  await fs.chmod(dest, 0o700).catch(() => undefined);
  await fs.rm(base, { recursive: true, force: true });
});

/** Nothing next to `dest` was created, and the marker in the sibling directory is exactly as it was. */
async function expectOutsideUntouched(): Promise<void> {
  expect((await fs.readdir(base)).sort()).toEqual(['dest', 'outside']);
  expect(await fs.readdir(outside)).toEqual(['marker']);
  const stat = await fs.lstat(marker);
  expect(stat.isFile()).toBe(true);
  expect(stat.nlink).toBe(1);
  expect(stat.ino).toBe(markerBefore.ino);
  expect(stat.mtimeMs).toBe(markerBefore.mtimeMs);
  expect(await fs.readFile(marker, 'utf8')).toBe('original');
}

async function expectUnsafe(promise: Promise<unknown>, entryName: string, reason: string): Promise<UnsafeArchiveError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UnsafeArchiveError);
  const unsafe = error as UnsafeArchiveError;
  expect(unsafe.entryName).toBe(entryName);
  expect(unsafe.reason).toContain(reason);
  expect(unsafe.message).not.toContain('\n');
  return unsafe;
}

describe('extractTarSafely: hostile names', () => {
  it('refuses an absolute name', async () => {
    const name = path.join(outside, 'pwned');
    await expectUnsafe(extractEntries([{ name, body: 'x' }], dest), name, 'absolute path');
    expect(await exists(path.join(outside, 'pwned'))).toBe(false);
    await expectOutsideUntouched();
  });

  it('refuses ../escape', async () => {
    await expectUnsafe(extractEntries([{ name: '../escape', body: 'x' }], dest), '../escape', '".."');
    await expectUnsafe(extractEntries([{ name: '../outside/marker', body: 'x' }], dest), '../outside/marker', '".."');
    await expectOutsideUntouched();
  });

  it('refuses a/../../b, writing nothing for it', async () => {
    await expectUnsafe(extractEntries([{ name: 'a/../../b', body: 'x' }], dest), 'a/../../b', '".."');
    expect(await fs.readdir(dest)).toEqual([]);
    await expectOutsideUntouched();
  });

  it('refuses a name with a NUL byte (only a PAX header can carry one)', async () => {
    const name = 'ok\0/../../outside/marker';
    await expectUnsafe(extractEntries([{ name, body: 'x', pax: {} }], dest), name, 'NUL');
    expect(await fs.readdir(dest)).toEqual([]);
    await expectOutsideUntouched();
  });
});

describe('extractTarSafely: symlinks on the way', () => {
  it('refuses link -> outside, then link/file', async () => {
    await expectUnsafe(
      extractEntries(
        [
          { name: 'link', type: 'symlink', linkname: outside },
          { name: 'link/file', body: 'evil' },
        ],
        dest,
      ),
      'link/file',
      'its parent "link" is a symlink',
    );
    // The symlink itself was an acceptable entry and stays, stored verbatim.
    expect(await fs.readlink(path.join(dest, 'link'))).toBe(outside);
    await expectOutsideUntouched();
  });

  it('refuses up -> .., then a write through it', async () => {
    await expectUnsafe(
      extractEntries(
        [
          { name: 'up', type: 'symlink', linkname: '..' },
          { name: 'up/outside/marker', body: 'evil' },
        ],
        dest,
      ),
      'up/outside/marker',
      'its parent "up" is a symlink',
    );
    await expectUnsafe(
      extractEntries([{ name: 'up/escape', body: 'evil' }], dest),
      'up/escape',
      'its parent "up" is a symlink',
    );
    await expectOutsideUntouched();
  });

  it('refuses a symlink deeper in the path, behind real directories', async () => {
    await expectUnsafe(
      extractEntries(
        [
          { name: 'a/', type: 'directory' },
          { name: 'a/b', type: 'symlink', linkname: '../../outside' },
          { name: 'a/b/c/d', body: 'evil' },
        ],
        dest,
      ),
      'a/b/c/d',
      'its parent "a/b" is a symlink',
    );
    expect(await exists(path.join(outside, 'c'))).toBe(false);
    await expectOutsideUntouched();
  });

  it('refuses to write below a symlink that already exists in the destination', async () => {
    await fs.symlink(outside, path.join(dest, 'pre'));
    await expectUnsafe(extractEntries([{ name: 'pre/marker', body: 'evil' }], dest), 'pre/marker', '"pre" is a symlink');
    await expectUnsafe(
      extractEntries([{ name: 'pre/new/file', body: 'evil' }], dest),
      'pre/new/file',
      '"pre" is a symlink',
    );
    await expectOutsideUntouched();
  });

  it('replaces, never writes through, a pre-existing symlink with the name of a file entry', async () => {
    await fs.symlink(marker, path.join(dest, 'pre'));
    await fs.symlink(path.join(outside, 'new'), path.join(dest, 'dangling'));
    const summary = await extractEntries(
      [
        { name: 'pre', body: 'from the archive' },
        { name: 'dangling', body: 'from the archive' },
      ],
      dest,
    );
    expect(summary.files).toBe(2);
    for (const name of ['pre', 'dangling']) {
      const stat = await fs.lstat(path.join(dest, name));
      expect(stat.isFile()).toBe(true);
      expect(await fs.readFile(path.join(dest, name), 'utf8')).toBe('from the archive');
    }
    await expectOutsideUntouched();
  });

  it('replaces a symlink created earlier in the same stream instead of writing through it', async () => {
    const summary = await extractEntries(
      [
        { name: 'x', type: 'symlink', linkname: marker },
        { name: 'x', body: 'evil' },
        { name: 'y', type: 'symlink', linkname: marker },
        { name: 'y', type: 'symlink', linkname: 'elsewhere' },
      ],
      dest,
    );
    expect(summary).toMatchObject({ files: 1, symlinks: 3 });
    expect(await fs.readFile(path.join(dest, 'x'), 'utf8')).toBe('evil');
    expect(await fs.readlink(path.join(dest, 'y'))).toBe('elsewhere');
    await expectOutsideUntouched();
  });

  it('replaces a directory symlink with a real directory for a directory entry, then writes inside it', async () => {
    await fs.symlink(outside, path.join(dest, 'd'));
    await extractEntries(
      [
        { name: 'd/', type: 'directory' },
        { name: 'd/marker', body: 'inside' },
      ],
      dest,
    );
    expect((await fs.lstat(path.join(dest, 'd'))).isDirectory()).toBe(true);
    expect(await fs.readFile(path.join(dest, 'd/marker'), 'utf8')).toBe('inside');
    await expectOutsideUntouched();
  });

  it('stores symlink targets verbatim, whatever they point at', async () => {
    await extractEntries(
      [
        { name: 'abs', type: 'symlink', linkname: '/etc/shadow' },
        { name: 'rel', type: 'symlink', linkname: '../../../../etc' },
      ],
      dest,
    );
    expect(await fs.readlink(path.join(dest, 'abs'))).toBe('/etc/shadow');
    expect(await fs.readlink(path.join(dest, 'rel'))).toBe('../../../../etc');
  });
});

describe('extractTarSafely: hard links', () => {
  it('refuses a hard link to /etc/passwd', async () => {
    await expectUnsafe(
      extractEntries([{ name: 'h', type: 'link', linkname: '/etc/passwd' }], dest),
      'h',
      'the hard link target is an absolute path',
    );
    expect(await exists(path.join(dest, 'h'))).toBe(false);
  });

  it('refuses a hard link that climbs out with ..', async () => {
    await expectUnsafe(
      extractEntries([{ name: 'h', type: 'link', linkname: '../outside/marker' }], dest),
      'h',
      'the hard link target contains a ".." component',
    );
    await expectOutsideUntouched();
  });

  it('refuses a hard link whose target passes through a symlink', async () => {
    await expectUnsafe(
      extractEntries(
        [
          { name: 'link', type: 'symlink', linkname: outside },
          { name: 'h', type: 'link', linkname: 'link/marker' },
        ],
        dest,
      ),
      'h',
      'is not a file extracted earlier from this archive',
    );
    expect(await exists(path.join(dest, 'h'))).toBe(false);
    await expectOutsideUntouched();
  });

  it('refuses a hard link to a file that was in the destination before', async () => {
    await fs.writeFile(path.join(dest, 'mine'), 'user data');
    await expectUnsafe(
      extractEntries([{ name: 'h', type: 'link', linkname: 'mine' }], dest),
      'h',
      'is not a file extracted earlier',
    );
    expect((await fs.lstat(path.join(dest, 'mine'))).nlink).toBe(1);
  });

  it('links to a file extracted earlier, and a later file entry does not write into the shared inode', async () => {
    const summary = await extractEntries(
      [
        { name: 'a', body: 'first' },
        { name: 'h', type: 'link', linkname: 'a' },
      ],
      dest,
    );
    expect(summary).toMatchObject({ files: 1, hardlinks: 1 });
    expect((await fs.lstat(path.join(dest, 'a'))).ino).toBe((await fs.lstat(path.join(dest, 'h'))).ino);
    await extractEntries([{ name: 'h', body: 'second' }], dest);
    expect(await fs.readFile(path.join(dest, 'a'), 'utf8')).toBe('first');
    expect(await fs.readFile(path.join(dest, 'h'), 'utf8')).toBe('second');
  });
});

describe('extractTarSafely: everything else', () => {
  it('stops at the first unsafe entry, keeping what came before and writing nothing after', async () => {
    await expectUnsafe(
      extractEntries(
        [
          { name: 'before', body: 'kept' },
          { name: '../escape', body: 'x' },
          { name: 'after', body: 'never' },
        ],
        dest,
      ),
      '../escape',
      '".."',
    );
    expect(await fs.readdir(dest)).toEqual(['before']);
    await expectOutsideUntouched();
  });

  it('destroys the input stream when it stops early', async () => {
    const input = streamOf(await tarOf([{ name: '/abs', body: 'x' }, { name: 'more', body: 'y'.repeat(100_000) }]));
    await expect(extractTarSafely(input, dest)).rejects.toBeInstanceOf(UnsafeArchiveError);
    expect(input.destroyed).toBe(true);
  });

  it('refuses to replace a directory with a file or symlink', async () => {
    await fs.mkdir(path.join(dest, 'keep'));
    await fs.writeFile(path.join(dest, 'keep/precious'), 'data');
    await expectUnsafe(extractEntries([{ name: 'keep', body: 'x' }], dest), 'keep', 'a directory already exists at "keep"');
    await expectUnsafe(
      extractEntries([{ name: 'keep', type: 'symlink', linkname: outside }], dest),
      'keep',
      'a directory already exists',
    );
    expect(await fs.readFile(path.join(dest, 'keep/precious'), 'utf8')).toBe('data');
  });

  it('refuses a file whose parent is a file', async () => {
    await expectUnsafe(
      extractEntries(
        [
          { name: 'f', body: 'x' },
          { name: 'f/g', body: 'y' },
        ],
        dest,
      ),
      'f/g',
      'its parent "f" is not a directory',
    );
  });

  it('skips and counts devices and fifos, and still extracts what follows', async () => {
    const summary = await extractEntries(
      [
        { name: 'null', type: 'character-device', devmajor: 1, devminor: 3 },
        { name: 'sda', type: 'block-device', devmajor: 8, devminor: 0 },
        { name: 'pipe', type: 'fifo' },
        { name: 'after', body: 'here' },
      ],
      dest,
    );
    expect(summary).toEqual({ files: 1, dirs: 0, symlinks: 0, hardlinks: 0, skipped: 3, bytes: 4 });
    expect(await fs.readdir(dest)).toEqual(['after']);
  });

  it('fails on a truncated stream and leaves no half-written file', async () => {
    const tar = await tarOf([{ name: 'big', body: Buffer.alloc(200_000, 7) }]);
    await expect(extractTarSafely(streamOf(tar.subarray(0, 100_000), 4096), dest)).rejects.toThrow();
    expect(await fs.readdir(dest)).toEqual([]);
  });

  it('fails on a stream that is not a tar at all', async () => {
    await expect(extractTarSafely(streamOf(Buffer.alloc(2048, 'x')), dest)).rejects.toThrow(/tar/i);
  });

  it('passes on an error of the input stream', async () => {
    const input = new PassThrough();
    const promise = extractTarSafely(input, dest);
    input.destroy(new Error('connection reset'));
    await expect(promise).rejects.toThrow('connection reset');
  });

  it('keeps permission bits and mtimes, applying directory metadata after the contents', async () => {
    const summary = await extractEntries(
      [
        { name: 'ro/', type: 'directory', mode: 0o555, mtime: new Date('2001-01-01T00:00:00Z') },
        { name: 'ro/tool', body: '#!/bin/sh\n', mode: 0o755, mtime: new Date('2002-02-02T00:00:00Z') },
        { name: 'ro/sub/', type: 'directory', mode: 0o700, mtime: new Date('2003-03-03T00:00:00Z') },
        { name: 'ro/sub/secret', body: 's', mode: 0o600 },
        { name: 'ro/link', type: 'symlink', linkname: 'tool', mtime: new Date('2004-04-04T00:00:00Z') },
      ],
      dest,
    );
    expect(summary).toEqual({ files: 2, dirs: 2, symlinks: 1, hardlinks: 0, skipped: 0, bytes: 11 });
    const ro = await fs.lstat(path.join(dest, 'ro'));
    expect(ro.mode & 0o7777).toBe(0o555);
    expect(ro.mtime.toISOString()).toBe('2001-01-01T00:00:00.000Z');
    const tool = await fs.lstat(path.join(dest, 'ro/tool'));
    expect(tool.mode & 0o7777).toBe(0o755);
    expect(tool.mtime.toISOString()).toBe('2002-02-02T00:00:00.000Z');
    const sub = await fs.lstat(path.join(dest, 'ro/sub'));
    expect(sub.mode & 0o7777).toBe(0o700);
    expect(sub.mtime.toISOString()).toBe('2003-03-03T00:00:00.000Z');
    expect((await fs.lstat(path.join(dest, 'ro/sub/secret'))).mode & 0o7777).toBe(0o600);
    expect((await fs.lstat(path.join(dest, 'ro/link'))).mtime.toISOString()).toBe('2004-04-04T00:00:00.000Z');
    await fs.chmod(path.join(dest, 'ro'), 0o700);
  });

  it('drops setuid and setgid unless root asked to preserve owners', async () => {
    await extractEntries([{ name: 'suid', body: 'x', mode: 0o6755, uid: 4242, gid: 4243 }], dest);
    const stat = await fs.lstat(path.join(dest, 'suid'));
    expect(stat.mode & 0o7777).toBe(0o755);
    expect(stat.uid).toBe(process.getuid?.());
  });

  it.runIf(process.getuid?.() === 0)('as root with preserveOwner, keeps owners and setuid bits', async () => {
    await extractEntries(
      [
        { name: 'suid', body: 'x', mode: 0o4755, uid: 4242, gid: 4243 },
        { name: 'ln', type: 'symlink', linkname: 'suid', uid: 4244, gid: 4245 },
      ],
      dest,
      { preserveOwner: true },
    );
    const stat = await fs.lstat(path.join(dest, 'suid'));
    expect(stat.mode & 0o7777).toBe(0o4755);
    expect([stat.uid, stat.gid]).toEqual([4242, 4243]);
    const link = await fs.lstat(path.join(dest, 'ln'));
    expect([link.uid, link.gid]).toEqual([4244, 4245]);
  });

  it('strips the first component from names and hard link targets', async () => {
    const summary = await extractEntries(
      [
        { name: 'etc/', type: 'directory', mode: 0o755 },
        { name: 'etc/passwd', body: 'root:x:0:0::/root:/bin/sh\n' },
        { name: 'etc/passwd-', type: 'link', linkname: 'etc/passwd' },
      ],
      dest,
      { stripFirstComponent: true },
    );
    expect(summary).toMatchObject({ files: 1, hardlinks: 1, dirs: 0 });
    expect((await fs.readdir(dest)).sort()).toEqual(['passwd', 'passwd-']);
  });

  it('refuses a file that would become the destination itself', async () => {
    await expectUnsafe(
      extractEntries([{ name: 'single-file', body: 'x' }], dest, { stripFirstComponent: true }),
      'single-file',
      'cannot replace the destination directory',
    );
  });

  it('leaves the mode of the destination itself alone', async () => {
    await fs.chmod(dest, 0o750);
    await extractEntries([{ name: './', type: 'directory', mode: 0o777 }], dest);
    expect((await fs.lstat(dest)).mode & 0o777).toBe(0o750);
  });

  it('rejects a destination that is not a directory', async () => {
    await expect(extractEntries([], marker)).rejects.toThrow('not a directory');
  });
});
