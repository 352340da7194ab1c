import { gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { startsLikeTar } from './tar-header.js';

async function tarOf(name: string, body: string): Promise<Buffer> {
  const archive = pack();
  archive.entry({ name }, body);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('startsLikeTar', () => {
  it('knows a tar and a gzipped tar by their first header', async () => {
    const tar = await tarOf('etc/os-release', 'ID=test\n');
    expect(startsLikeTar(tar.subarray(0, 512))).toBe(true);
    expect(startsLikeTar(gzipSync(tar).subarray(0, 4096))).toBe(true);
  });

  it('refuses text, random bytes, a short file and a gzip of something else', () => {
    expect(startsLikeTar(Buffer.from('root:x:0:0:root:/root:/bin/sh\n'.repeat(40)))).toBe(false);
    expect(startsLikeTar(Buffer.alloc(1024, 0x41))).toBe(false);
    expect(startsLikeTar(Buffer.alloc(1024))).toBe(false);
    expect(startsLikeTar(gzipSync(Buffer.from('not a tar'.repeat(100))))).toBe(false);
    expect(startsLikeTar(Buffer.from([0x1f, 0x8b, 1, 2, 3]))).toBe(false);
  });
});
