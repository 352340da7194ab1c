import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { firstLevelOfTar } from './list-dir.js';

function tarOf(entries: Array<{ name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; linkname?: string; body?: string; mode?: number }>): NodeJS.ReadableStream {
  const archive = pack();
  for (const { body, ...header } of entries) archive.entry({ mtime: new Date(0), mode: 0o644, ...header }, body ?? '');
  archive.finalize();
  return Readable.from(archive as unknown as AsyncIterable<Buffer>);
}

describe('firstLevelOfTar', () => {
  it('keeps the first level, the directory itself as "."', async () => {
    const entries = await firstLevelOfTar(
      tarOf([
        { name: './', type: 'directory', mode: 0o755 },
        { name: './b file', body: 'hello' },
        { name: './sub/', type: 'directory', mode: 0o700 },
        { name: './sub/deep', body: 'x' },
        { name: './link', type: 'symlink', linkname: '/etc/passwd', mode: 0o777 },
        { name: './a', type: 'link', linkname: './b file' },
      ]),
    );
    expect(entries.map((entry) => [entry.name, entry.type, entry.size, entry.linkTarget])).toEqual([
      ['.', 'directory', 0, null],
      ['a', 'hardlink', 0, './b file'],
      ['b file', 'file', 5, null],
      ['link', 'symlink', 0, '/etc/passwd'],
      ['sub', 'directory', 0, null],
    ]);
    expect(entries.find((entry) => entry.name === 'sub')?.mode).toBe(0o700);
  });

  it('reads the absolute names the engine gives for the root', async () => {
    const entries = await firstLevelOfTar(tarOf([{ name: '/', type: 'directory' }, { name: '/app/', type: 'directory' }, { name: '/app/server', body: 'x' }, { name: '/.dockerenv' }]));
    expect(entries.map((entry) => entry.name)).toEqual(['.', '.dockerenv', 'app']);
  });
});
