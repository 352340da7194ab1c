import { Readable } from 'node:stream';
import { extract as tarExtract, pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { filterTar, listTar } from './tar-filter.js';

async function tarOf(build: (p: ReturnType<typeof pack>) => void): Promise<Buffer> {
  const p = pack();
  build(p);
  p.finalize();
  return collect(p as unknown as NodeJS.ReadableStream);
}

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function readBack(tar: Buffer): Promise<Array<{ name: string; type: string; linkname: string | null; body: string }>> {
  const extract = tarExtract();
  const result: Array<{ name: string; type: string; linkname: string | null; body: string }> = [];
  Readable.from([tar]).pipe(extract as unknown as NodeJS.WritableStream);
  for await (const entry of extract) {
    const body = (await collect(entry as unknown as NodeJS.ReadableStream)).toString();
    result.push({ name: entry.header.name, type: entry.header.type ?? '', linkname: entry.header.linkname ?? null, body });
  }
  return result;
}

const longName = `./usr/share/${'very-long-directory-name/'.repeat(8)}file.txt`;

async function sample(): Promise<Buffer> {
  const p = pack();
  const mtime = new Date(0);
  p.entry({ name: './', type: 'directory', mtime });
  p.entry({ name: './etc/', type: 'directory', mtime });
  p.entry({ name: './etc/hosts', type: 'file', mtime }, 'not yours\n');
  p.entry({ name: './usr/bin/tool', type: 'file', mtime, mode: 0o755 }, Buffer.alloc(1500, 7));
  p.entry({ name: './usr/bin/alias', type: 'link', linkname: './usr/bin/tool', mtime });
  p.entry({ name: './lib', type: 'symlink', linkname: 'usr/lib', mtime });
  p.entry({ name: longName, type: 'file', mtime }, 'long\n');
  p.finalize();
  return collect(p as unknown as NodeJS.ReadableStream);
}

describe('tar filter', () => {
  it('lists names, types and links, long names included', async () => {
    const entries = await listTar(Readable.from([await sample()]));
    expect(entries.map((e) => [e.name, e.type, e.linkname])).toEqual([
      ['./', 'directory', ''],
      ['./etc/', 'directory', ''],
      ['./etc/hosts', 'file', ''],
      ['./usr/bin/tool', 'file', ''],
      ['./usr/bin/alias', 'hardlink', './usr/bin/tool'],
      ['./lib', 'symlink', 'usr/lib'],
      [longName, 'file', ''],
    ]);
  });

  it('passes kept entries through byte for byte, after the prelude, in chunks of any size', async () => {
    const source = await sample();
    const prelude = (await tarOf((p) => p.entry({ name: 'manifest.json', type: 'file', mtime: new Date(0) }, '{}\n'))).subarray(0, 1024);
    const filter = filterTar((e) => e.name !== './etc/hosts' && e.name !== './', prelude);
    // Odd-sized chunks exercise records split across writes.
    const chunks: Buffer[] = [];
    for (let i = 0; i < source.length; i += 333) chunks.push(source.subarray(i, i + 333));
    const out = await collect(Readable.from(chunks).pipe(filter));
    const entries = await readBack(out);
    expect(entries.map((e) => e.name)).toEqual(['manifest.json', './etc/', './usr/bin/tool', './usr/bin/alias', './lib', longName]);
    expect(entries[2]!.body).toBe(Buffer.alloc(1500, 7).toString());
    expect(entries[5]!.body).toBe('long\n');
    expect(out.length % 512).toBe(0);
  });

  it('fails on a stream that is not a tar or ends in the middle of an entry', async () => {
    await expect(listTar(Readable.from([Buffer.alloc(512, 1)]))).rejects.toThrow(/not a tar archive/);
    const source = await sample();
    await expect(listTar(Readable.from([source.subarray(0, 2048 + 700)]))).rejects.toThrow(/ended in the middle/);
  });
});
