import { closeSync, openSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { filterTar, listTar, type RawEntry } from './tar-filter.js';
import { fileReadInto, planTarSend, scanTarSpans, sendTarSpans, type ReadInto } from './tar-spans.js';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const longName = `./usr/share/${'very-long-directory-name/'.repeat(8)}file.txt`;

/** Small files and large ones (larger than the scan's and the send's windows), a long name (pax), links. */
async function sample(): Promise<Buffer> {
  const p = pack();
  const mtime = new Date(0);
  p.entry({ name: './', type: 'directory', mtime });
  p.entry({ name: './etc/', type: 'directory', mtime });
  p.entry({ name: './etc/hosts', type: 'file', mtime }, 'not yours\n');
  p.entry({ name: './usr/bin/big', type: 'file', mtime, mode: 0o755 }, Buffer.alloc(3 * 1024 * 1024 + 77, 7));
  p.entry({ name: './usr/bin/alias', type: 'link', linkname: './usr/bin/big', mtime });
  p.entry({ name: './lib', type: 'symlink', linkname: 'usr/lib', mtime });
  p.entry({ name: longName, type: 'file', mtime }, 'long\n');
  p.entry({ name: './usr/bin/tail', type: 'file', mtime }, Buffer.alloc(2000, 3));
  p.finalize();
  return collect(p as unknown as NodeJS.ReadableStream);
}

const inMemory =
  (tar: Buffer): ReadInto =>
  (target, offset) =>
    offset >= tar.length ? 0 : tar.copy(target, 0, offset);

const pick = (entry: RawEntry): [string, string, string] => [entry.name, entry.type, entry.linkname];

describe('tar spans', () => {
  let work = '';
  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'sidekick-tar-spans-'));
  });
  afterEach(() => rm(work, { recursive: true, force: true }));

  function withFile<T>(bytes: Buffer, use: (fd: number) => Promise<T>): Promise<T> {
    const path = join(work, 'x.tar');
    writeFileSync(path, bytes);
    const fd = openSync(path, 'r');
    return use(fd).finally(() => closeSync(fd));
  }

  it('scans the same entries as the streaming filter, reading across windows', async () => {
    const tar = await sample();
    const streamed = await listTar(Readable.from([tar]));
    await withFile(tar, async (fd) => {
      const { spans } = scanTarSpans(fileReadInto(fd));
      expect(spans.flatMap((span) => (span.entry ? [pick(span.entry)] : []))).toEqual(streamed.map(pick));
      // Each span starts where the last ended.
      spans.forEach((span, i) => expect(span.start).toBe(i === 0 ? 0 : spans[i - 1]!.end));
    });
  });

  it('sends byte for byte what the streaming filter passes, prelude first', async () => {
    const tar = await sample();
    const manifest = pack();
    manifest.entry({ name: 'manifest.json', type: 'file', mtime: new Date(0) }, '{}\n');
    manifest.finalize();
    const prelude = (await collect(manifest as unknown as NodeJS.ReadableStream)).subarray(0, 1024);
    const keep = (entry: RawEntry): boolean => entry.name !== './etc/hosts' && entry.name !== './' && entry.name !== './lib';
    const filtered = await collect(Readable.from([tar]).pipe(filterTar(keep, prelude)));
    await withFile(tar, async (fd) => {
      const scan = scanTarSpans(fileReadInto(fd));
      const plan = planTarSend(scan, (span) => keep(span.entry!));
      // Adjacent kept entries go as one range.
      expect(plan.ranges.length).toBeLessThan(scan.spans.length);
      const sent = await collect(sendTarSpans(fd, plan, prelude));
      expect(sent.length).toBe(filtered.length);
      // Compared as bytes: a deep equality of 3 MB element by element takes minutes.
      expect(sent.equals(filtered)).toBe(true);
    });
  });

  it('fails the send, before the changed bytes go, when a header changed since the scan', async () => {
    const tar = await sample();
    const path = join(work, 'x.tar');
    writeFileSync(path, tar);
    const fd = openSync(path, 'r');
    try {
      const scan = scanTarSpans(fileReadInto(fd));
      const plan = planTarSend(scan, () => true);
      const tail = scan.spans.find((span) => span.entry?.name === './usr/bin/tail')!;
      const changed = Buffer.from(tar);
      changed.write('./etc/shadow\0', tail.dataStart - 512, 'latin1');
      writeFileSync(path, changed);
      const sent: Buffer[] = [];
      const stream = sendTarSpans(fd, plan, Buffer.alloc(0));
      await expect(
        (async () => {
          for await (const chunk of stream) sent.push(chunk as Buffer);
        })(),
      ).rejects.toThrow(/changed while it was being sent/);
      expect(Buffer.concat(sent).includes('./etc/shadow')).toBe(false);
    } finally {
      closeSync(fd);
    }
  });

  it('refuses a tar cut in the middle of an entry or that is not a tar', async () => {
    const tar = await sample();
    expect(() => scanTarSpans(inMemory(tar.subarray(0, 2048 + 700)))).toThrow(/ended in the middle/);
    expect(() => scanTarSpans(inMemory(Buffer.alloc(1024, 1)))).toThrow(/not a tar archive/);
  });
});
