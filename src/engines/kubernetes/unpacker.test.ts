/**
 * The pod archive's unpacker (native/sidekick-unpack.c, built into dist/ by `npm run build`),
 * run on this host below a temporary directory as it runs below a target's root: what it
 * writes, what it refuses and in which words (operation-output.ts turns them into the
 * engine's), and that no link, planted or named, takes a write out of the directory.
 */
import { spawn } from 'node:child_process';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pack } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const UNPACKER = fileURLToPath(new URL('../../../dist/sidekick-unpack', import.meta.url));

interface Entry {
  name: string;
  type: 'file' | 'directory' | 'link' | 'symlink' | 'fifo';
  content?: string | Buffer;
  linkname?: string;
  mode?: number;
  mtime?: Date;
}

async function tarOf(entries: Entry[]): Promise<Buffer> {
  const archive = pack();
  for (const { content, ...header } of entries) archive.entry({ ...header, mode: header.mode ?? (header.type === 'directory' ? 0o755 : 0o644) }, content ?? '');
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Runs the unpacker; `written` says whether all of the input could be written to it (no broken pipe). */
function unpack(args: string[], input: Buffer): Promise<{ code: number; stderr: string; written: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(UNPACKER, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    let written = true;
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.stdin.on('error', () => (written = false));
    child.on('close', (code) => resolve({ code: code ?? -1, stderr, written }));
    child.stdin.end(input);
  });
}

describe('the pod archive\'s unpacker', () => {
  let dir: string;
  let outside: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sidekick-unpack-test-'));
    outside = await mkdtemp(join(tmpdir(), 'sidekick-unpack-outside-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('says whether it can run here (openat2)', async () => {
    expect(await unpack(['--check'], Buffer.alloc(0))).toMatchObject({ code: 0, stderr: '' });
  });

  it('writes a tree: directories made on the way, modes, times, owners by number, links of both kinds across directories, a long name, a FIFO', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(140)}`;
    const mtime = new Date('2020-02-02T02:02:02Z');
    const result = await unpack([dir], await tarOf([
      { name: 'usr/bin/tool', type: 'file', content: 'a tool', mode: 0o755, mtime },
      { name: 'bin/', type: 'directory', mode: 0o711, mtime },
      { name: 'bin/alias', type: 'link', linkname: 'usr/bin/tool' },
      { name: 'bin/sym', type: 'symlink', linkname: '../usr/bin/tool' },
      { name: long, type: 'file', content: 'long' },
      { name: 'run/fifo', type: 'fifo' },
    ]));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const tool = await stat(join(dir, 'usr/bin/tool'));
    expect({ mode: tool.mode & 0o7777, mtime: tool.mtime.toISOString(), links: tool.nlink, uid: tool.uid }).toEqual({ mode: 0o755, mtime: mtime.toISOString(), links: 2, uid: 0 });
    expect((await stat(join(dir, 'bin'))).mode & 0o7777).toBe(0o711);
    expect((await stat(join(dir, 'bin'))).mtime.toISOString()).toBe(mtime.toISOString());
    expect((await stat(join(dir, 'usr'))).mode & 0o7777).toBe(0o755);
    expect(await readlink(join(dir, 'bin/sym'))).toBe('../usr/bin/tool');
    expect(await readFile(join(dir, long), 'utf8')).toBe('long');
    expect((await lstat(join(dir, 'run/fifo'))).isFIFO()).toBe(true);
  });

  it('with noOverwriteDirNonDir\'s rules: keeps a directory for a directory, replaces a file or a link by a file, refuses the other pairs in the engine\'s words', async () => {
    await mkdir(join(dir, 'keep'));
    await writeFile(join(dir, 'keep/old'), 'old');
    await writeFile(join(outside, 'victim'), 'victim');
    await symlink(join(outside, 'victim'), join(dir, 'link-to-file'));
    expect(await unpack([dir], await tarOf([
      { name: 'keep/', type: 'directory', mode: 0o700 },
      { name: 'keep/old', type: 'file', content: 'new' },
      { name: 'link-to-file', type: 'file', content: 'replaced the link' },
    ]))).toMatchObject({ code: 0, stderr: '' });
    expect((await stat(join(dir, 'keep'))).mode & 0o7777).toBe(0o700);
    expect(await readFile(join(dir, 'keep/old'), 'utf8')).toBe('new');
    expect((await lstat(join(dir, 'link-to-file'))).isFile()).toBe(true);
    expect(await readFile(join(outside, 'victim'), 'utf8')).toBe('victim');

    await writeFile(join(dir, 'plain'), 'a file');
    expect(await unpack([dir], await tarOf([{ name: 'keep', type: 'file', content: 'x' }]))).toMatchObject({ code: 3, stderr: 'sidekick-unpack: cannot overwrite directory keep with non-directory\n' });
    expect(await unpack([dir], await tarOf([{ name: 'plain/', type: 'directory' }]))).toMatchObject({ code: 3, stderr: 'sidekick-unpack: cannot overwrite non-directory plain with directory\n' });
    expect((await lstat(join(dir, 'keep'))).isDirectory()).toBe(true);
    expect(await readFile(join(dir, 'plain'), 'utf8')).toBe('a file');
  });

  it('never writes through a link of the target: a directory entry over one, a path through one, a hard link through one; what came before stays, the rest of the tar is read', async () => {
    await symlink(outside, join(dir, 'escape'));
    const filler = Buffer.alloc(4 << 20, 1);
    const refusedDir = await unpack([dir], await tarOf([
      { name: 'before', type: 'file', content: 'before' },
      { name: 'escape/', type: 'directory' },
      { name: 'escape/planted', type: 'file', content: 'x' },
      { name: 'after', type: 'file', content: filler },
    ]));
    expect(refusedDir).toMatchObject({ code: 3, stderr: 'sidekick-unpack: cannot overwrite non-directory escape with directory\n', written: true });
    expect(await readFile(join(dir, 'before'), 'utf8')).toBe('before');
    await expect(lstat(join(dir, 'after'))).rejects.toThrow();

    const through = await unpack([dir], await tarOf([{ name: 'escape/planted', type: 'file', content: 'x' }]));
    expect(through.code).toBe(3);
    expect(through.stderr).toMatch(/^sidekick-unpack: escape\/planted has a directory that is not one below the upload's/);

    await writeFile(join(outside, 'secret'), 'secret');
    const hard = await unpack([dir], await tarOf([{ name: 'stolen', type: 'link', linkname: 'escape/secret' }]));
    expect(hard.code).toBe(3);
    await expect(lstat(join(dir, 'stolen'))).rejects.toThrow();
    expect((await readdir(outside)).sort()).toEqual(['secret']);
  });

  it('ends at the tar\'s end-of-archive blocks without waiting for the end of its input (an exec\'s stdin may never close), after a missing directory too', async () => {
    for (const directory of [dir, join(dir, 'nothing')]) {
      const child = spawn(UNPACKER, [directory], { stdio: ['pipe', 'ignore', 'ignore'] });
      const ended = new Promise<number | null>((resolve) => child.on('close', resolve));
      child.stdin.write(await tarOf([{ name: 'f', type: 'file', content: 'x' }]));
      const code = await Promise.race([ended, new Promise<string>((resolve) => setTimeout(() => resolve('still running'), 5_000))]);
      child.stdin.end();
      expect(code).toBe(directory === dir ? 0 : 2);
    }
    expect(await readFile(join(dir, 'f'), 'utf8')).toBe('x');
  });

  it('refuses a name that climbs out, and says a missing directory in the engine\'s words', async () => {
    const climbing = await unpack([dir], await tarOf([{ name: '../climbed', type: 'file', content: 'x' }]));
    expect(climbing).toMatchObject({ code: 1, stderr: 'sidekick-unpack: ../climbed leads out of the directory it is unpacked into\n' });
    await expect(lstat(join(dir, '..', 'climbed'))).rejects.toThrow();
    const missing = await unpack([join(dir, 'nothing')], await tarOf([{ name: 'x', type: 'file', content: 'x' }]));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^sidekick-unpack: Could not find the directory .*\/nothing in container/);
  });
});
