import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { startsLikeTar } from './tar-header.js';
import { TAR_END, tarArchive, tarRecords, type TarRecord } from './tar-writer.js';

interface Read {
  name: string;
  type: string;
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  mtime: number;
  linkname: string | null;
  content: string;
}

/** Every entry as tar-stream (another implementation than ours) reads it. */
async function readBack(archive: Buffer): Promise<Read[]> {
  const entries: Read[] = [];
  const reader = extract();
  reader.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    stream.on('end', () => {
      entries.push({
        name: header.name,
        type: header.type ?? 'file',
        mode: header.mode ?? 0,
        uid: header.uid ?? 0,
        gid: header.gid ?? 0,
        uname: header.uname ?? '',
        gname: header.gname ?? '',
        mtime: header.mtime?.getTime() ?? 0,
        linkname: header.linkname ?? null,
        content: Buffer.concat(chunks).toString('utf8'),
      });
      next();
    });
  });
  const done = new Promise<void>((resolve, reject) => {
    reader.on('finish', resolve);
    reader.on('error', reject);
  });
  Readable.from([archive]).pipe(reader as unknown as NodeJS.WritableStream);
  await done;
  return entries;
}

const mtime = new Date('2026-12-02T05:00:00Z');
const common = { mtime, uid: 0, gid: 0, uname: 'root', gname: 'root' };

describe('tarRecords', () => {
  it('writes files, directories and both kinds of links as tar-stream reads them', async () => {
    const records: TarRecord[] = [
      { ...common, name: '.sidekick/', type: 'directory', mode: 0o755 },
      { ...common, name: '.sidekick/bin/busybox', type: 'file', mode: 0o755, content: Buffer.from('\x7fELF binary') },
      { ...common, name: '.sidekick/bin/sh', type: 'link', mode: 0o755, linkname: '.sidekick/bin/busybox' },
      { ...common, name: '.sidekick/ls', type: 'symlink', mode: 0o777, linkname: 'bin/busybox' },
      { mtime, name: '.sidekick/manifest.json', type: 'file', mode: 0o644, uid: 65532, gid: 65533, content: '{"é":1}\n' },
      { ...common, name: '.sidekick/empty', type: 'file', mode: 0o4755, content: '' },
    ];
    const read = await readBack(tarArchive(records));
    expect(read.map(({ name, type, mode, linkname, content }) => ({ name, type, mode, linkname, content }))).toEqual([
      { name: '.sidekick/', type: 'directory', mode: 0o755, linkname: null, content: '' },
      { name: '.sidekick/bin/busybox', type: 'file', mode: 0o755, linkname: null, content: '\x7fELF binary' },
      { name: '.sidekick/bin/sh', type: 'link', mode: 0o755, linkname: '.sidekick/bin/busybox', content: '' },
      { name: '.sidekick/ls', type: 'symlink', mode: 0o777, linkname: 'bin/busybox', content: '' },
      { name: '.sidekick/manifest.json', type: 'file', mode: 0o644, linkname: null, content: '{"é":1}\n' },
      { name: '.sidekick/empty', type: 'file', mode: 0o4755, linkname: null, content: '' },
    ]);
    expect(read.every((entry) => entry.mtime === mtime.getTime())).toBe(true);
    expect(read[4]).toMatchObject({ uid: 65532, gid: 65533, uname: '', gname: '' });
    expect(read[0]).toMatchObject({ uid: 0, gid: 0, uname: 'root', gname: 'root' });
  });

  it('gives a directory its trailing slash and pads content to whole blocks', () => {
    const chunks = tarRecords([
      { ...common, name: 'd', type: 'directory', mode: 0o755 },
      { ...common, name: 'd/f', type: 'file', mode: 0o644, content: 'x'.repeat(513) },
    ]);
    const whole = Buffer.concat(chunks);
    expect(whole.length).toBe(512 + 512 + 1024);
    expect(whole.subarray(0, 2).toString('latin1')).toBe('d/');
    expect(startsLikeTar(whole)).toBe(true);
    expect(startsLikeTar(whole.subarray(512))).toBe(true);
    expect(TAR_END.equals(Buffer.alloc(1024))).toBe(true);
  });

  it('splits a long name into ustar prefix and name, and goes to PAX beyond that', async () => {
    const deep = `${'a'.repeat(120)}/${'b'.repeat(90)}`;
    const tooLong = `${'c'.repeat(200)}/${'d'.repeat(120)}`;
    const longTarget = `${'e'.repeat(150)}/busybox`;
    const read = await readBack(
      tarArchive([
        { ...common, name: deep, type: 'file', mode: 0o644, content: 'deep' },
        { ...common, name: tooLong, type: 'file', mode: 0o644, content: 'long' },
        { ...common, name: `${'é'.repeat(60)}/x`, type: 'directory', mode: 0o755 },
        { ...common, name: 'short', type: 'link', mode: 0o755, linkname: longTarget },
      ]),
    );
    expect(read.map((entry) => [entry.name, entry.content, entry.linkname])).toEqual([
      [deep, 'deep', null],
      [tooLong, 'long', null],
      [`${'é'.repeat(60)}/x/`, '', null],
      ['short', '', longTarget],
    ]);
  });

  it('refuses what a ustar header cannot say', () => {
    expect(() => tarRecords([{ ...common, name: 'l', type: 'link', mode: 0o755 }])).toThrow(/needs a target/);
    expect(() => tarRecords([{ ...common, name: 'd', type: 'directory', mode: 0o755, content: 'x' }])).toThrow(/only a file/);
    expect(() => tarRecords([{ ...common, name: 'f', type: 'file', mode: 0o644, uid: 1 << 22 }])).toThrow(/uid/);
    expect(() => tarRecords([{ ...common, name: 'f', type: 'file', mode: 0o644, mtime: new Date(-1000) }])).toThrow(/time/);
  });

  const gnuTar = spawnSync('tar', ['--version'], { encoding: 'utf8' }).stdout?.includes('GNU tar') === true;
  it.skipIf(!gnuTar)('is unpacked by GNU tar into the same tree, long names and links included', () => {
    const work = mkdtempSync(join(tmpdir(), 'sidekick-tar-writer-'));
    try {
      const long = `${'f'.repeat(130)}/${'g'.repeat(110)}/${'h'.repeat(100)}`;
      const archive = tarArchive([
        { ...common, name: 'top/', type: 'directory', mode: 0o750 },
        { ...common, name: 'top/bin/busybox', type: 'file', mode: 0o755, content: 'binary' },
        { ...common, name: 'top/bin/ls', type: 'link', mode: 0o755, linkname: 'top/bin/busybox' },
        { ...common, name: 'top/sh', type: 'symlink', mode: 0o777, linkname: 'bin/busybox' },
        { ...common, name: `top/${long}`, type: 'file', mode: 0o600, content: 'deep' },
      ]);
      writeFileSync(join(work, 'a.tar'), archive);
      const result = spawnSync('tar', ['-x', '-f', 'a.tar', '--no-same-owner'], { cwd: work, encoding: 'utf8' });
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(statSync(join(work, 'top')).mode & 0o7777).toBe(0o750);
      expect(statSync(join(work, 'top/bin/ls')).ino).toBe(statSync(join(work, 'top/bin/busybox')).ino);
      expect(readlinkSync(join(work, 'top/sh'))).toBe('bin/busybox');
      expect(readFileSync(join(work, 'top', long), 'utf8')).toBe('deep');
      expect(statSync(join(work, 'top', long)).mtime.getTime()).toBe(mtime.getTime());
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
