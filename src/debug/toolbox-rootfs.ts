/**
 * Turns the root filesystem mmdebstrap makes from Debian packages (extracted, no maintainer
 * script run) into a toolbox for the chroot view of docs/ARCHITECTURE.md:
 * - absolute symlinks become relative: reached from the target's root through
 *   /proc/<anchor>/root, an absolute one would resolve in the target;
 * - the view's busybox and a link to the dispatcher per executable are put in at build
 *   time (core/dynamic-view.ts), so that a session only writes the dispatcher;
 * - the CA bundle that ca-certificates' maintainer script would make is made here;
 * - the sidekick's init, when this host has one.
 */
import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { extract as tarExtract, pack, type Header as Headers } from 'tar-stream';
import { TOOLBOX_BIN_DIRS, VIEW_BIN, VIEW_DISPATCHER, VIEW_LINKS_MARKER } from '../core/dynamic-view.js';
import type { PreloadEntry } from './sidekick-launch.js';

export interface ToolboxRootfsExtras {
  /** The view's busybox directory and anything else of the sidekick's own (its init). */
  entries: PreloadEntry[];
}

const BIN_DIRS = new Set(TOOLBOX_BIN_DIRS.map((dir) => dir.slice(1)));
const CA_BUNDLE = 'etc/ssl/certs/ca-certificates.crt';

/** A tar stream of the toolbox, made from `source` (mmdebstrap's tar) as it is read. */
export function toolboxRootfs(source: Readable, extras: ToolboxRootfsExtras): Readable {
  const output = pack();
  const input = tarExtract();
  const executables = new Set<string>();
  const certificates: Buffer[] = [];
  const seen = new Set<string>();
  const fail = (error: Error): void => {
    output.destroy(error);
    source.destroy();
  };

  input.on('entry', (header, stream, next) => {
    const name = normalName(header.name);
    if (name === undefined) {
      stream.resume();
      stream.on('end', next);
      return;
    }
    seen.add(name.replace(/\/$/, ''));
    const out: Headers = { ...header, name };
    if (header.type === 'symlink' && header.linkname?.startsWith('/')) out.linkname = relativeLink(name, header.linkname);
    if (header.type === 'link' && header.linkname !== undefined) out.linkname = normalName(header.linkname) ?? header.linkname;
    const dir = posix.dirname(name);
    const base = posix.basename(name);
    if (BIN_DIRS.has(dir) && !base.startsWith('.') && (header.type === 'symlink' || header.type === 'link' || (header.type === 'file' && ((header.mode ?? 0) & 0o111) !== 0))) {
      executables.add(base);
    }
    const isCertificate = header.type === 'file' && name.startsWith('usr/share/ca-certificates/') && name.endsWith('.crt');
    const chunks: Buffer[] = [];
    const sink = output.entry(out, (error) => {
      if (error) fail(error);
      else next();
    });
    stream.on('data', (chunk: unknown) => {
      if (isCertificate) chunks.push(chunk as Buffer);
    });
    stream.on('end', () => {
      if (isCertificate) certificates.push(Buffer.concat(chunks), Buffer.from('\n'));
    });
    stream.pipe(sink);
  });
  input.on('finish', () => {
    const mtime = new Date(0);
    for (const entry of extras.entries) {
      const header = { name: entry.name, type: entry.type, mode: entry.mode, mtime, ...(entry.linkname ? { linkname: entry.linkname } : {}) };
      if (entry.content) output.entry(header, entry.content);
      else output.entry(header);
    }
    // No dash among the packages: bash is the toolbox's sh, or busybox's would answer, and its applets hide the toolbox's programs.
    if (!seen.has('bin/sh') && !seen.has('usr/bin/sh') && seen.has('bin/bash')) {
      output.entry({ name: 'bin/sh', type: 'symlink', linkname: 'bash', mode: 0o777, mtime });
      executables.add('sh');
    }
    const viewBin = VIEW_BIN.slice(1);
    for (const name of [...executables].sort()) {
      output.entry({ name: `${viewBin}/${name}`, type: 'symlink', linkname: VIEW_DISPATCHER, mode: 0o777, mtime });
    }
    output.entry({ name: `${viewBin}/${VIEW_LINKS_MARKER}`, type: 'file', mode: 0o644, mtime }, `${executables.size}\n`);
    if (certificates.length > 0 && !seen.has(CA_BUNDLE)) {
      output.entry({ name: CA_BUNDLE, type: 'file', mode: 0o644, mtime }, Buffer.concat(certificates));
    }
    if (!seen.has('tmp')) output.entry({ name: 'tmp/', type: 'directory', mode: 0o1777, mtime });
    output.finalize();
  });
  input.on('error', fail);
  source.on('error', fail);
  source.pipe(input);
  // A plain Node stream for the engine's upload, whatever tar-stream's Pack is made of.
  const result = new PassThrough();
  output.on('error', (error: Error) => result.destroy(error));
  (output as unknown as Readable).pipe(result);
  return result;
}

/** `./usr/bin/x` -> `usr/bin/x`; undefined for the root itself or a name that climbs out. */
function normalName(name: string): string | undefined {
  const trimmed = name.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
  if (trimmed === '' || trimmed === '.' || trimmed === './') return undefined;
  if (trimmed.split('/').includes('..')) return undefined;
  return trimmed;
}

/** The same target as a link relative to the link's own directory (never above the root). */
export function relativeLink(name: string, target: string): string {
  const from = posix.join('/', posix.dirname(name.replace(/\/$/, '')));
  const relative = posix.relative(from, posix.normalize(target));
  return relative === '' ? '.' : relative;
}
