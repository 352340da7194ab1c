import { mkdtemp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pack, type Header } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planLocalDestination, saveArchive } from './copy.js';

type Entry = Partial<Header> & { name: string; body?: string };

function tarOf(entries: Entry[]): NodeJS.ReadableStream {
  const archive = pack();
  for (const { body, ...header } of entries) archive.entry({ mtime: new Date(1_000_000_000), mode: 0o644, ...header }, body ?? '');
  archive.finalize();
  return Readable.from(archive as unknown as AsyncIterable<Buffer>);
}

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

describe('saveArchive with crafted archives', () => {
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

  it.each(cases)('refuses %s into an existing directory and writes nothing outside it', async (_what, entries) => {
    await writeFile(path.join(outside, 'secret'), 'keep');
    await expect(saveArchive(tarOf(entries), { into: dest }, 'x:/data')).rejects.toMatchObject({ code: 'UNSAFE_ARCHIVE' });
    expect(await tree(outside)).toEqual(['secret']);
    expect(await readFile(path.join(outside, 'secret'), 'utf8')).toBe('keep');
    expect(await readdir(work)).toEqual(['dest', 'outside']);
  });

  it.each(cases)('refuses %s under a new name and leaves nothing at all', async (_what, entries) => {
    await expect(saveArchive(tarOf(entries), { as: path.join(work, 'new') }, 'x:/data')).rejects.toMatchObject({ code: 'UNSAFE_ARCHIVE' });
    expect(await readdir(work)).toEqual(['dest', 'outside']);
    expect(await tree(outside)).toEqual([]);
  });

  it('does not follow a symlink that already sits in the destination', async () => {
    await symlink(outside, path.join(dest, 'data'));
    await expect(saveArchive(tarOf([{ name: 'data/evil', body: 'x' }]), { into: dest }, 'x:/data')).rejects.toMatchObject({ code: 'UNSAFE_ARCHIVE' });
    expect(await tree(outside)).toEqual([]);
  });

  it('refuses an archive with several top-level entries under a new name', async () => {
    const archive = tarOf([{ name: 'a', body: '1' }, { name: 'b', body: '2' }]);
    await expect(saveArchive(archive, { as: path.join(work, 'new') }, 'x:/a')).rejects.toMatchObject({ code: 'UNSAFE_ARCHIVE' });
    expect(await readdir(work)).toEqual(['dest', 'outside']);
  });

  it('renames a single entry to the new name, and replaces a file', async () => {
    await saveArchive(tarOf([{ name: 'data/', type: 'directory' }, { name: 'data/f', body: 'hi' }]), { as: path.join(work, 'copy') }, 'x:/data');
    expect(await readFile(path.join(work, 'copy', 'f'), 'utf8')).toBe('hi');
    await writeFile(path.join(work, 'file'), 'old');
    await saveArchive(tarOf([{ name: 'passwd', body: 'new' }]), { as: path.join(work, 'file') }, 'x:/etc/passwd');
    expect(await readFile(path.join(work, 'file'), 'utf8')).toBe('new');
    expect((await readdir(work)).sort()).toEqual(['copy', 'dest', 'file', 'outside']);
  });
});

describe('planLocalDestination', () => {
  it('follows docker cp: into a directory, else as the name', async () => {
    const work = await mkdtemp(path.join(tmpdir(), 'sidekick-plan-'));
    try {
      await writeFile(path.join(work, 'file'), '');
      expect(await planLocalDestination(work, true)).toEqual({ into: work });
      expect(await planLocalDestination(path.join(work, 'new'), true)).toEqual({ as: path.join(work, 'new') });
      expect(await planLocalDestination(path.join(work, 'file'), false)).toEqual({ as: path.join(work, 'file') });
      await expect(planLocalDestination(path.join(work, 'file'), true)).rejects.toMatchObject({ code: 'BAD_USAGE' });
      await expect(planLocalDestination(path.join(work, 'missing/'), false)).rejects.toMatchObject({ code: 'PATH_NOT_FOUND' });
      await expect(planLocalDestination(path.join(work, 'no/such/x'), false)).rejects.toMatchObject({ code: 'PATH_NOT_FOUND' });
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });
});
