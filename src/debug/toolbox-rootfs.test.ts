import { Readable } from 'node:stream';
import { extract, pack } from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { relativeLink, toolboxRootfs } from './toolbox-rootfs.js';

interface Seen {
  type: string;
  linkname?: string;
  content: string;
}

async function entriesOf(stream: Readable): Promise<Map<string, Seen>> {
  const result = new Map<string, Seen>();
  const reader = extract();
  reader.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
    body.on('end', () => {
      result.set(header.name, { type: header.type ?? '', ...(header.linkname ? { linkname: header.linkname } : {}), content: Buffer.concat(chunks).toString() });
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    reader.on('finish', resolve);
    reader.on('error', reject);
    stream.on('error', reject);
    stream.pipe(reader);
  });
  return result;
}

function mmdebstrapLike(): Readable {
  const archive = pack();
  archive.entry({ name: './', type: 'directory', mode: 0o755 });
  archive.entry({ name: './etc/', type: 'directory', mode: 0o755 });
  archive.entry({ name: './etc/rmt', type: 'symlink', linkname: '/usr/sbin/rmt' });
  archive.entry({ name: './lib64/ld-linux-x86-64.so.2', type: 'symlink', linkname: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' });
  archive.entry({ name: './usr/bin/strace', type: 'file', mode: 0o755 }, 'ELF');
  archive.entry({ name: './usr/bin/pkill', type: 'symlink', linkname: 'pgrep' });
  archive.entry({ name: './usr/bin/README', type: 'file', mode: 0o644 }, 'not a program');
  archive.entry({ name: './bin/bash', type: 'file', mode: 0o755 }, 'ELF');
  archive.entry({ name: './usr/share/ca-certificates/a/one.crt', type: 'file', mode: 0o644 }, 'ONE');
  archive.entry({ name: './usr/share/ca-certificates/b/two.crt', type: 'file', mode: 0o644 }, 'TWO');
  archive.finalize();
  return archive as unknown as Readable;
}

describe('toolboxRootfs', () => {
  it('makes absolute links relative, links each program to the dispatcher, and makes the CA bundle', async () => {
    const out = await entriesOf(toolboxRootfs(mmdebstrapLike(), { entries: [{ name: '.sidekick-view/applets/busybox', type: 'file', mode: 0o755, content: Buffer.from('BB') }] }));
    expect(out.get('etc/rmt')?.linkname).toBe('../usr/sbin/rmt');
    expect(out.get('lib64/ld-linux-x86-64.so.2')?.linkname).toBe('../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
    expect(out.get('usr/bin/pkill')?.linkname).toBe('pgrep');
    for (const name of ['strace', 'pkill', 'bash', 'sh']) expect(out.get(`.sidekick-view/bin/${name}`)?.linkname, name).toBe('.run');
    expect(out.has('.sidekick-view/bin/README')).toBe(false);
    expect(out.get('.sidekick-view/bin/.links')?.content).toBe('4\n');
    expect(out.get('bin/sh')?.linkname).toBe('bash');
    expect(out.get('etc/ssl/certs/ca-certificates.crt')?.content).toBe('ONE\nTWO\n');
    expect(out.get('.sidekick-view/applets/busybox')?.content).toBe('BB');
    expect(out.get('tmp/')?.type).toBe('directory');
  });

  it('never makes a relative link climb above the root', () => {
    expect(relativeLink('a/b/c', '/../../x')).toBe('../../x');
    expect(relativeLink('top', '/')).toBe('.');
    expect(relativeLink('usr/lib/x', '/usr/lib/y')).toBe('y');
  });
});
