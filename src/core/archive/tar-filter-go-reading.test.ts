/**
 * The filter must read a header exactly as the engine's Go archive/tar does, or an entry it
 * checked is not the entry the engine writes. Each case here is a tar that a naive reader
 * (the filter before this was fixed) saw differently from Go.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { listTar, type RawEntry } from './tar-filter.js';
import { scanTarSpans } from './tar-spans.js';

interface RawHeader {
  name: string;
  flag: string;
  /** The 12-byte size field, raw. */
  sizeField?: Buffer;
  size?: number;
  linkname?: string;
  magic?: 'ustar\0' | 'ustar ' | '';
  version?: string;
  prefix?: string;
}

function header(h: RawHeader): Buffer {
  const block = Buffer.alloc(512);
  block.write(h.name, 0, 100, 'utf8');
  block.write('0000644\0', 100, 'latin1');
  block.write('0000000\0', 108, 'latin1');
  block.write('0000000\0', 116, 'latin1');
  (h.sizeField ?? Buffer.from(`${(h.size ?? 0).toString(8).padStart(11, '0')}\0`, 'latin1')).copy(block, 124);
  block.write('00000000000\0', 136, 'latin1');
  block.write(h.flag, 156, 'latin1');
  if (h.linkname) block.write(h.linkname, 157, 100, 'utf8');
  const magic = h.magic ?? 'ustar\0';
  block.write(magic, 257, 'latin1');
  block.write(h.version ?? (magic === 'ustar ' ? ' \0' : '00'), 263, 'latin1');
  if (h.prefix) block.write(h.prefix, 345, 155, 'utf8');
  block.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return block;
}

function data(content: string | Buffer): Buffer {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return Buffer.concat([bytes, Buffer.alloc((512 - (bytes.length % 512)) % 512)]);
}

function pax(records: Record<string, string>, flag: 'x' | 'g' = 'x'): Buffer {
  let body = '';
  for (const [key, value] of Object.entries(records)) {
    const text = ` ${key}=${value}\n`;
    let length = text.length + 1;
    while (`${length}${text}`.length !== length) length += 1;
    body += `${length}${text}`;
  }
  return Buffer.concat([header({ name: 'PaxHeader', flag, size: Buffer.byteLength(body) }), data(body)]);
}

async function read(...parts: Buffer[]): Promise<Array<Pick<RawEntry, 'name' | 'type' | 'size'>>> {
  const tar = Buffer.concat([...parts, Buffer.alloc(1024)]);
  const entries = (await listTar(Readable.from([tar]))).map(({ name, type, size }) => ({ name, type, size }));
  // The seeking scan of a tar file (tar-spans.ts) must read every case the same way.
  const scanned = scanTarSpans((target, offset) => (offset >= tar.length ? 0 : tar.copy(target, 0, offset))).spans.flatMap((span) => (span.entry ? [span.entry] : []));
  expect(scanned.map(({ name, type, size }) => ({ name, type, size }))).toEqual(entries);
  return entries;
}

describe('tar-filter reads headers as Go does', () => {
  it('gives a symlink no data, whatever its size field says, so a header hidden there is an entry', async () => {
    const hidden = header({ name: 'link/passwd', flag: '0', size: 3 });
    const entries = await read(header({ name: 'link', flag: '2', linkname: '/etc', size: 1024 }), hidden, data('own'), data(Buffer.alloc(512)));
    expect(entries.slice(0, 2)).toEqual([
      { name: 'link', type: 'symlink', size: 0 },
      { name: 'link/passwd', type: 'file', size: 3 },
    ]);
  });

  it('takes the data length from a pax size record', async () => {
    const entries = await read(pax({ size: '600' }), header({ name: 'big', flag: '0', size: 0 }), data(Buffer.alloc(600, 1)), header({ name: 'next', flag: '0' }));
    expect(entries).toEqual([
      { name: 'big', type: 'file', size: 600 },
      { name: 'next', type: 'file', size: 0 },
    ]);
  });

  it('lets a GNU long name win over a pax path', async () => {
    const longName = Buffer.concat([header({ name: '././@LongLink', flag: 'L', size: 7, magic: 'ustar ' }), data('gnuname')]);
    const entries = await read(pax({ path: 'paxname' }), longName, header({ name: 'short', flag: '0' }));
    expect(entries[0]?.name).toBe('gnuname');
  });

  it('keeps only the last pax header, and forgets pax records at a global header', async () => {
    expect((await read(pax({ path: 'first' }), pax({ mtime: '1' }), header({ name: 'own', flag: '0' })))[0]?.name).toBe('own');
    const afterGlobal = await read(pax({ path: 'stale' }), pax({ comment: 'x' }, 'g'), header({ name: 'own', flag: '0' }));
    expect(afterGlobal.map((entry) => entry.name)).toEqual(['own']);
    expect((await read(pax({ path: '' }), header({ name: 'own', flag: '0' })))[0]?.name).toBe('own');
  });

  it('uses the name prefix only in USTAR headers, not in GNU ones', async () => {
    expect((await read(header({ name: 'passwd', flag: '0', magic: 'ustar ', prefix: 'safe' })))[0]?.name).toBe('passwd');
    expect((await read(header({ name: 'passwd', flag: '0', prefix: 'etc' })))[0]?.name).toBe('etc/passwd');
  });

  it('parses a size padded with leading NULs and spaces, and a type-\\0 name ending in "/" as a directory', async () => {
    const padded = Buffer.from('\0\0 00001000\0', 'latin1');
    expect((await read(header({ name: 'f', flag: '0', sizeField: padded }), data(Buffer.alloc(512))))[0]).toEqual({ name: 'f', type: 'file', size: 512 });
    expect((await read(header({ name: 'd/', flag: '\0', size: 512 }), header({ name: 'd/x', flag: '0' })))).toEqual([
      { name: 'd/', type: 'directory', size: 0 },
      { name: 'd/x', type: 'file', size: 0 },
    ]);
  });
});
