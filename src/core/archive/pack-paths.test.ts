import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractTarSafely } from './extract-tar-safely.js';
import { packPaths } from './pack-paths.js';

let base: string;
let src: string;
let dest: string;

beforeEach(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'sidekick-pack-'));
  src = path.join(base, 'src');
  dest = path.join(base, 'dest');
  await fs.mkdir(src);
  await fs.mkdir(dest);
});

afterEach(async () => {
  await fs.rm(base, { recursive: true, force: true });
});

interface ListedEntry {
  name: string;
  type: string;
  mode: number;
  linkname: string | null;
  size: number;
}

async function list(tar: Readable): Promise<ListedEntry[]> {
  const parser = extract();
  tar.on('error', (error) => parser.destroy(error));
  tar.pipe(parser as unknown as NodeJS.WritableStream);
  const entries: ListedEntry[] = [];
  for await (const entry of parser) {
    const { name, type, mode, linkname, size } = entry.header;
    entries.push({ name, type, mode, linkname, size });
    entry.resume();
  }
  return entries;
}

const T = (iso: string): Date => new Date(iso);

/** Walks a tree into a comparable description: type, permission bits, mtime, content or link target. */
async function describeTree(root: string): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  const walk = async (relative: string): Promise<void> => {
    const absolute = path.join(root, relative);
    const stat = await fs.lstat(absolute);
    const mode = (stat.mode & 0o7777).toString(8);
    const mtime = stat.mtime.toISOString();
    if (stat.isSymbolicLink()) {
      result[relative] = `symlink -> ${await fs.readlink(absolute)} ${mtime}`;
    } else if (stat.isDirectory()) {
      result[relative] = `dir ${mode} ${mtime}`;
      for (const child of (await fs.readdir(absolute)).sort()) await walk(path.join(relative, child));
    } else {
      const content = await fs.readFile(absolute);
      result[relative] = `file ${mode} ${mtime} ${content.length} ${content.toString('base64').slice(0, 40)}`;
    }
  };
  await walk('tree');
  return result;
}

describe('packPaths', () => {
  it('stores mtimes in whole seconds, as docker cp does', async () => {
    await fs.writeFile(path.join(src, 'f'), 'x');
    await fs.utimes(path.join(src, 'f'), T('2020-01-01T00:00:00.987Z'), T('2020-01-01T00:00:00.987Z'));
    await extractTarSafely(packPaths([path.join(src, 'f')]), dest);
    expect((await fs.lstat(path.join(dest, 'f'))).mtime.toISOString()).toBe('2020-01-01T00:00:00.000Z');
  });

  it('round-trips a tree through extractTarSafely byte for byte, with modes, mtimes and symlinks', async () => {
    const tree = path.join(src, 'tree');
    const big = randomBytes(5 * 1024 * 1024);
    await fs.mkdir(path.join(tree, 'empty'), { recursive: true });
    await fs.mkdir(path.join(tree, 'sub/deep'), { recursive: true });
    await fs.writeFile(path.join(tree, 'tool.sh'), '#!/bin/sh\necho hi\n');
    await fs.chmod(path.join(tree, 'tool.sh'), 0o755);
    await fs.writeFile(path.join(tree, 'a file with spaces.txt'), 'spaces');
    await fs.chmod(path.join(tree, 'a file with spaces.txt'), 0o640);
    await fs.writeFile(path.join(tree, 'big.bin'), big);
    await fs.writeFile(path.join(tree, 'sub/deep/é-ünïcode'), 'utf-8 name');
    await fs.writeFile(path.join(tree, 'sub/deep', 'n'.repeat(150)), 'a long name');
    await fs.symlink('tool.sh', path.join(tree, 'link'));
    await fs.symlink('/nonexistent/absolute', path.join(tree, 'dangling'));
    await fs.chmod(path.join(tree, 'sub'), 0o750);
    // Whole seconds: that is what tar (and docker cp) can carry.
    await fs.utimes(path.join(tree, 'tool.sh'), T('2020-01-01T00:00:00Z'), T('2020-01-01T00:00:00Z'));
    await fs.utimes(path.join(tree, 'big.bin'), T('2019-06-15T12:34:56Z'), T('2019-06-15T12:34:56Z'));
    await fs.utimes(path.join(tree, 'a file with spaces.txt'), T('2013-01-01T00:00:01Z'), T('2013-01-01T00:00:01Z'));
    await fs.utimes(path.join(tree, 'sub/deep/é-ünïcode'), T('2012-01-01T00:00:02Z'), T('2012-01-01T00:00:02Z'));
    await fs.utimes(path.join(tree, 'sub/deep', 'n'.repeat(150)), T('2011-01-01T00:00:03Z'), T('2011-01-01T00:00:03Z'));
    await fs.lutimes(path.join(tree, 'link'), T('2018-01-01T00:00:00Z'), T('2018-01-01T00:00:00Z'));
    await fs.lutimes(path.join(tree, 'dangling'), T('2010-01-01T00:00:04Z'), T('2010-01-01T00:00:04Z'));
    // Directories last, deepest first, since creating their children changed their mtimes.
    for (const [dir, when] of [
      ['sub/deep', '2017-01-01T00:00:00Z'],
      ['sub', '2016-01-01T00:00:00Z'],
      ['empty', '2015-01-01T00:00:00Z'],
      ['.', '2014-01-01T00:00:00Z'],
    ] as const) {
      await fs.utimes(path.join(tree, dir), T(when), T(when));
    }
    const before = await describeTree(src);

    const summary = await extractTarSafely(packPaths([tree]), dest);

    expect(await describeTree(dest)).toEqual(before);
    expect(Buffer.compare(await fs.readFile(path.join(dest, 'tree/big.bin')), big)).toBe(0);
    expect(summary).toEqual({
      files: 5,
      dirs: 4,
      symlinks: 2,
      hardlinks: 0,
      skipped: 0,
      bytes: big.length + 18 + 6 + 'utf-8 name'.length + 'a long name'.length,
    });
    expect(before['tree/tool.sh']).toMatch(/^file 755 2020-01-01T00:00:00.000Z/);
    expect(before['tree/link']).toBe('symlink -> tool.sh 2018-01-01T00:00:00.000Z');
  });

  it('writes directories before their children, sorted, with relative names', async () => {
    const tree = path.join(src, 'tree');
    await fs.mkdir(path.join(tree, 'b'), { recursive: true });
    await fs.writeFile(path.join(tree, 'c'), 'x');
    await fs.writeFile(path.join(tree, 'b/a'), 'y');
    await fs.symlink('/etc', path.join(tree, 'a'));
    const entries = await list(packPaths([tree]));
    expect(entries.map((entry) => `${entry.type} ${entry.name}`)).toEqual([
      'directory tree/',
      'symlink tree/a',
      'directory tree/b/',
      'file tree/b/a',
      'file tree/c',
    ]);
    expect(entries[1]?.linkname).toBe('/etc');
  });

  it('stores a symlink given as a source as the symlink itself', async () => {
    await fs.writeFile(path.join(src, 'target'), 'content');
    await fs.symlink('target', path.join(src, 'alias'));
    const entries = await list(packPaths([path.join(src, 'alias')]));
    expect(entries).toEqual([{ name: 'alias', type: 'symlink', mode: expect.any(Number), linkname: 'target', size: 0 }]);
  });

  it('renames sources to the names given, including a nested one', async () => {
    await fs.writeFile(path.join(src, 'file'), 'content');
    await fs.mkdir(path.join(src, 'dir'));
    await fs.writeFile(path.join(src, 'dir/inner'), 'inner');
    const entries = await list(
      packPaths([
        { path: path.join(src, 'file'), name: 'renamed.txt' },
        { path: path.join(src, 'dir'), name: './opt/tool/' },
        path.join(src, 'file'),
      ]),
    );
    expect(entries.map((entry) => entry.name)).toEqual(['renamed.txt', 'opt/tool/', 'opt/tool/inner', 'file']);
  });

  it('refuses bad names at once', () => {
    expect(() => packPaths([{ path: src, name: '../up' }])).toThrow('the name contains a ".." component');
    expect(() => packPaths([{ path: src, name: '/abs' }])).toThrow('the name is an absolute path');
    expect(() => packPaths([{ path: src, name: '.' }])).toThrow('give one');
    expect(() => packPaths(['/'])).toThrow('give one');
  });

  it('fails the stream when a source does not exist', async () => {
    await expect(list(packPaths([path.join(src, 'missing')]))).rejects.toThrow(/ENOENT/);
  });

  it('skips sockets and says so', async () => {
    const socketPath = path.join(src, 'sock');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      await fs.writeFile(path.join(src, 'kept'), 'k');
      const skipped: string[] = [];
      const entries = await list(packPaths([src], { onSkipped: (file, reason) => skipped.push(`${file}: ${reason}`) }));
      expect(entries.map((entry) => entry.name)).toEqual(['src/', 'src/kept']);
      expect(skipped).toEqual([`${socketPath}: it is a socket, fifo or device`]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('stops reading files when the consumer destroys the stream', async () => {
    await fs.writeFile(path.join(src, 'big'), Buffer.alloc(8 * 1024 * 1024));
    const tar = packPaths([path.join(src, 'big')]);
    let received = 0;
    for await (const chunk of tar) {
      received += (chunk as Buffer).length;
      if (received > 256 * 1024) break;
    }
    expect(tar.destroyed).toBe(true);
    // Backpressure held: far less than the whole file was read before the consumer gave up.
    expect(received).toBeLessThan(4 * 1024 * 1024);
  });
});
