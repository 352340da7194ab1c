import { spawn } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pack, type Header } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { saveArchive, type ArchiveSource } from './copy-files.js';

type Entry = Partial<Header> & { name: string; body?: string };

function tarOf(entries: Entry[]): NodeJS.ReadableStream {
  const archive = pack();
  for (const { body, ...header } of entries) archive.entry({ mtime: new Date(1_000_000_000), mode: 0o644, ...header }, body ?? '');
  archive.finalize();
  return Readable.from(archive as unknown as AsyncIterable<Buffer>);
}

const opener = (entries: Entry[]) => async (): Promise<NodeJS.ReadableStream> => tarOf(entries);
const dirSource: ArchiveSource = { name: 'data', isDirectory: true, contents: false, what: 'x:/data' };
const fileSource: ArchiveSource = { name: 'passwd', isDirectory: false, contents: false, what: 'x:/etc/passwd' };

/** Every path under `root`, relative, sorted: what a copy wrote. */
async function tree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      out.push(path.relative(root, full));
      if (entry.isDirectory()) await walk(full);
    }
  };
  await walk(root);
  return out.sort();
}

describe('saveArchive', () => {
  let work: string;
  let dest: string;
  let outside: string;

  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'sidekick-cp-test-'));
    dest = path.join(work, 'dest');
    outside = path.join(work, 'outside');
    await mkdir(dest);
    await mkdir(outside);
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  const cases: Array<[string, Entry[]]> = [
    ['an absolute name', [{ name: '/etc/evil', body: 'x' }]],
    ['a ".." name', [{ name: 'data/../../outside/evil', body: 'x' }]],
    [
      'a write through a symlink made earlier in the stream',
      [
        { name: 'data/', type: 'directory', mode: 0o755 },
        { name: 'data/esc', type: 'symlink', linkname: '../../outside' },
        { name: 'data/esc/evil', body: 'x' },
      ],
    ],
    [
      'a hard link to a file outside',
      [
        { name: 'data/', type: 'directory' },
        { name: 'data/h', type: 'link', linkname: '../outside/secret' },
      ],
    ],
  ];

  it.each(cases)('refuses %s into an existing directory and writes nothing there or outside', async (_what, entries) => {
    await writeFile(path.join(outside, 'secret'), 'keep');
    await expect(saveArchive(opener(entries), dest, dirSource)).rejects.toMatchObject({ code: 'UNSAFE_ARCHIVE' });
    expect(await tree(outside)).toEqual(['secret']);
    expect(await readFile(path.join(outside, 'secret'), 'utf8')).toBe('keep');
    expect(await readdir(dest)).toEqual([]);
    expect(await readdir(work)).toEqual(['dest', 'outside']);
  });

  it.each(cases)('refuses %s under a new name and leaves nothing at all', async (_what, entries) => {
    await expect(saveArchive(opener(entries), path.join(work, 'new'), dirSource)).rejects.toMatchObject({ code: 'UNSAFE_ARCHIVE' });
    expect(await readdir(work)).toEqual(['dest', 'outside']);
    expect(await tree(outside)).toEqual([]);
  });

  it('leaves nothing when the stream breaks half way, into a directory or under a new name', async () => {
    const broken = async (): Promise<NodeJS.ReadableStream> => {
      const whole = tarOf([{ name: 'data/', type: 'directory' }, { name: 'data/a', body: 'a'.repeat(5000) }, { name: 'data/b', body: 'b'.repeat(5000) }]);
      const chunks: Buffer[] = [];
      for await (const chunk of whole) chunks.push(chunk as Buffer);
      const part = Buffer.concat(chunks).subarray(0, 7000);
      return Readable.from(
        (async function* () {
          yield part;
          throw new Error('connection reset');
        })(),
      );
    };
    await expect(saveArchive(broken, dest, dirSource)).rejects.toThrow(/connection reset/);
    await expect(saveArchive(broken, path.join(work, 'new'), dirSource)).rejects.toThrow(/connection reset/);
    expect(await readdir(dest)).toEqual([]);
    expect(await readdir(work)).toEqual(['dest', 'outside']);
  });

  it('does not follow a symlink that already sits in the destination, and leaves it be when refusing', async () => {
    await mkdir(path.join(dest, 'data'));
    await symlink(outside, path.join(dest, 'data', 'sub'));
    const entries = [{ name: 'data/', type: 'directory' as const }, { name: 'data/sub/', type: 'directory' as const }, { name: 'data/sub/evil', body: 'x' }];
    // A directory replaces the symlink as tar does; the link's target is never written.
    await saveArchive(opener(entries), dest, dirSource);
    expect(await tree(outside)).toEqual([]);
    expect((await lstat(path.join(dest, 'data', 'sub'))).isDirectory()).toBe(true);
    expect(await readFile(path.join(dest, 'data', 'sub', 'evil'), 'utf8')).toBe('x');
  });

  it('refuses a non-directory over a directory before anything is moved', async () => {
    await mkdir(path.join(dest, 'data', 'b'), { recursive: true });
    const entries = [{ name: 'data/', type: 'directory' as const }, { name: 'data/a', body: 'new' }, { name: 'data/b', body: 'file over dir' }];
    await expect(saveArchive(opener(entries), dest, dirSource)).rejects.toMatchObject({ code: 'BAD_USAGE' });
    expect(await tree(dest)).toEqual(['data', 'data/b']);
    expect(await readdir(dest)).toEqual(['data']);
  });

  it('refuses an archive with several top-level entries under a new name', async () => {
    await expect(saveArchive(opener([{ name: 'a', body: '1' }, { name: 'b', body: '2' }]), path.join(work, 'new'), { ...fileSource, name: 'a' })).rejects.toMatchObject({ code: 'UNSAFE_ARCHIVE' });
    expect(await readdir(work)).toEqual(['dest', 'outside']);
  });

  it('follows docker cp: into a directory under its own name, else as the name; replaces a file', async () => {
    await saveArchive(opener([{ name: 'data/', type: 'directory' }, { name: 'data/f', body: 'hi' }]), path.join(work, 'copy'), dirSource);
    expect(await readFile(path.join(work, 'copy', 'f'), 'utf8')).toBe('hi');
    await saveArchive(opener([{ name: 'data/', type: 'directory' }, { name: 'data/g', body: 'more' }]), path.join(work, 'copy'), dirSource);
    expect(await tree(path.join(work, 'copy'))).toEqual(['data', 'data/g', 'f']);
    await writeFile(path.join(work, 'file'), 'old');
    await saveArchive(opener([{ name: 'passwd', body: 'new' }]), path.join(work, 'file'), fileSource);
    expect(await readFile(path.join(work, 'file'), 'utf8')).toBe('new');
    await expect(saveArchive(opener([{ name: 'data/', type: 'directory' }]), path.join(work, 'file'), dirSource)).rejects.toMatchObject({ code: 'BAD_USAGE' });
    await expect(saveArchive(opener([{ name: 'passwd', body: '' }]), path.join(work, 'missing') + '/', fileSource)).rejects.toMatchObject({ code: 'PATH_NOT_FOUND' });
    await expect(saveArchive(opener([{ name: 'passwd', body: '' }]), path.join(work, 'no/such/x'), fileSource)).rejects.toMatchObject({ code: 'PATH_NOT_FOUND' });
    expect((await readdir(work)).sort()).toEqual(['copy', 'dest', 'file', 'outside']);
  });

  it('refuses an empty destination rather than copying into the current directory', async () => {
    await expect(saveArchive(opener([{ name: 'passwd', body: 'x' }]), '', fileSource)).rejects.toMatchObject({ code: 'BAD_USAGE' });
  });

  describe('symlinks in the destination (the two-step escape)', () => {
    it('refuses a symlink that leads out of its directory, as an earlier copy from a container would have left', async () => {
      // Step one left dest/hostlink -> outside (what `cp hostile:/ dest` brings).
      await symlink(outside, path.join(dest, 'hostlink'));
      const entries = [{ name: 'etc/', type: 'directory' as const }, { name: 'etc/passwd', body: 'owned' }];
      await expect(saveArchive(opener(entries), path.join(dest, 'hostlink'), { ...dirSource, name: 'etc' })).rejects.toThrow(/refusing to write through the symlink .*hostlink/);
      await expect(saveArchive(opener(entries), path.join(dest, 'hostlink', 'etc'), { ...dirSource, name: 'etc' })).rejects.toThrow(/refusing to write through the symlink/);
      await expect(saveArchive(opener([{ name: 'passwd', body: 'x' }]), path.join(dest, 'hostlink'), fileSource)).rejects.toThrow(/refusing to write through/);
      expect(await tree(outside)).toEqual([]);
      expect(await readdir(dest)).toEqual(['hostlink']);
    });

    it('follows a symlink that stays inside its own directory', async () => {
      await mkdir(path.join(dest, 'real'));
      await symlink('real', path.join(dest, 'alias'));
      await saveArchive(opener([{ name: 'passwd', body: 'x' }]), path.join(dest, 'alias'), fileSource);
      expect(await readFile(path.join(dest, 'real', 'passwd'), 'utf8')).toBe('x');
      expect((await lstat(path.join(dest, 'alias'))).isSymbolicLink()).toBe(true);
    });

    it('never renames over a symlink named as the destination: one that leads out is refused', async () => {
      await writeFile(path.join(outside, 'target'), 'keep');
      await symlink(path.join(outside, 'target'), path.join(dest, 'link'));
      await expect(saveArchive(opener([{ name: 'passwd', body: 'x' }]), path.join(dest, 'link'), fileSource)).rejects.toThrow(/refusing to write through/);
      expect(await readFile(path.join(outside, 'target'), 'utf8')).toBe('keep');
      expect((await lstat(path.join(dest, 'link'))).isSymbolicLink()).toBe(true);
    });
  });

  describe('destinations that are not files or directories', () => {
    it('writes through a FIFO, which stays a FIFO', async () => {
      const fifo = path.join(work, 'fifo');
      await runTool('mkfifo', [fifo]);
      const reader = readAll(fifo);
      await saveArchive(opener([{ name: 'passwd', body: 'through the fifo' }]), fifo, fileSource);
      expect(await reader).toBe('through the fifo');
      expect((await lstat(fifo)).isFIFO()).toBe(true);
      expect(await readdir(work)).toEqual(['dest', 'fifo', 'outside']);
    });

    it('writes through a character device (a null device made here), which stays a device', async () => {
      const device = path.join(work, 'null');
      await runTool('mknod', [device, 'c', '1', '3']);
      const summary = await saveArchive(opener([{ name: 'passwd', body: 'discarded' }]), device, fileSource);
      expect(summary.bytes).toBe('discarded'.length);
      expect((await lstat(device)).isCharacterDevice()).toBe(true);
      // Inside a directory too: the device found under the copy's name is written through, not replaced.
      await rm(device);
      await runTool('mknod', [path.join(dest, 'passwd'), 'c', '1', '3']);
      await saveArchive(opener([{ name: 'passwd', body: 'discarded' }]), dest, fileSource);
      expect((await lstat(path.join(dest, 'passwd'))).isCharacterDevice()).toBe(true);
      await expect(saveArchive(opener([{ name: 'data/', type: 'directory' }]), path.join(dest, 'passwd'), dirSource)).rejects.toMatchObject({ code: 'BAD_USAGE' });
      expect((await readdir(work)).sort()).toEqual(['dest', 'outside']);
    });

    it('writes through a symlink to a FIFO only when the rule allows it (a link inside its directory)', async () => {
      const fifo = path.join(dest, 'fifo');
      await runTool('mkfifo', [fifo]);
      await symlink('fifo', path.join(dest, 'to-fifo'));
      const reader = readAll(fifo);
      await saveArchive(opener([{ name: 'passwd', body: 'via link' }]), path.join(dest, 'to-fifo'), fileSource);
      expect(await reader).toBe('via link');
      expect((await lstat(path.join(dest, 'to-fifo'))).isSymbolicLink()).toBe(true);
    });
  });
});

function runTool(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
  });
}

/** Reads a FIFO to its end in a child process (opening it here would block the event loop's thread pool). */
function readAll(fifo: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', reject);
    child.on('exit', () => resolve(text));
  });
}
