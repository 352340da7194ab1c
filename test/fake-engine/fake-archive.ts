/**
 * The fake engine's archive API on a FakeFilesystem, with real tar streams (tar-stream), so that
 * the code under test parses what it would parse from the real engine.
 */
import path from 'node:path/posix';
import { PassThrough } from 'node:stream';
import { extract as tarExtract, pack, type Header } from 'tar-stream';
import type { ContainerPathStat } from '../../src/core/path-stat.js';
import type { FakeFilesystem, FakeNode } from './fake-filesystem.js';

/** A refusal of the archive API; the fake engine turns it into the error the real engine's client makes. */
export class ArchiveRefusal extends Error {}

/** An upload cut in the middle (a test's fault): what came before stays written. */
export class UploadCut extends Error {}

export function statOf(fs: FakeFilesystem, wanted: string): ContainerPathStat | undefined {
  const resolved = fs.resolve(wanted, false);
  const node = resolved === undefined ? undefined : fs.at(resolved);
  if (resolved === undefined || node === undefined) return undefined;
  const kind = node.type === 'file' ? 'file' : node.type === 'dir' ? 'dir' : node.type === 'symlink' ? 'symlink' : 'other';
  return {
    name: path.basename(resolved) || '/',
    size: node.type === 'file' ? node.content.length : node.type === 'symlink' ? node.linkname.length : 4096,
    kind,
    mode: node.mode & 0o7777,
    mtime: node.mtime,
    linkTarget: node.type === 'symlink' ? (fs.resolve(wanted, true) ?? '') : '',
  };
}

/** A tar of a path: the path itself under its base name (a symlink as a symlink), a directory with all below it. */
export function archiveOf(fs: FakeFilesystem, wanted: string): NodeJS.ReadableStream {
  // A trailing "/." or "/" asks for what a link leads to, as with the real engine.
  const resolved = fs.resolve(wanted, /\/\.?$/.test(wanted));
  const node = resolved === undefined ? undefined : fs.at(resolved);
  if (resolved === undefined || node === undefined) throw new ArchiveRefusal(`Could not find the file ${wanted} in container`);
  const archive = pack();
  const add = (at: string, name: string): void => {
    const entry = fs.at(at);
    if (entry === undefined) return;
    if (entry.type === 'file') archive.entry(headerOf(entry, name), entry.content);
    else archive.entry(headerOf(entry, name));
    if (entry.type === 'dir') for (const child of fs.children(at)) add(at === '/' ? `/${child}` : `${at}/${child}`, `${name}/${child}`);
  };
  add(resolved, resolved === '/' ? '.' : path.basename(resolved));
  archive.finalize();
  return asFromTheNetwork(archive as unknown as NodeJS.ReadableStream);
}

/**
 * A Node stream whose bytes start to come on a later turn of the event loop, as an engine's
 * answer does: code that sets its reader up a few promises after the call (container-files.ts,
 * archiveEntries) would otherwise see entries emitted before anyone listens.
 */
export function asFromTheNetwork(tar: NodeJS.ReadableStream): NodeJS.ReadableStream {
  const out = new PassThrough();
  setImmediate(() => tar.pipe(out));
  return out;
}

function headerOf(node: FakeNode, name: string): Partial<Header> & { name: string } {
  const common = { name, mode: node.mode, uid: node.uid, gid: node.gid, mtime: node.mtime };
  if (node.type === 'file') return { ...common, type: 'file', size: node.content.length };
  if (node.type === 'dir') return { ...common, type: 'directory' };
  if (node.type === 'symlink') return { ...common, type: 'symlink', linkname: node.linkname };
  return { ...common, type: 'fifo' };
}

/**
 * Unpacks a tar into a directory, entry by entry (an error half-way leaves what was written, as
 * with the real engine). Mirrors the real engine's checks: an entry's name or a symlink's target
 * that leaves the directory is refused; parents are resolved within the root; with
 * `noOverwriteDirNonDir`, a directory is never replaced by a non-directory or the other way round.
 */
export async function unpackInto(
  fs: FakeFilesystem,
  directory: string,
  tar: NodeJS.ReadableStream,
  noOverwriteDirNonDir: boolean,
  /** Told each entry's name as it is written; `cutAfter` entries in, the upload fails as a connection cut. */
  options: { onEntry?: (name: string) => void; cutAfter?: number } = {},
): Promise<void> {
  const base = fs.resolve(directory, true);
  if (base === undefined || fs.at(base) === undefined) throw new ArchiveRefusal(`Could not find the file ${directory} in container`);
  if (fs.at(base)?.type !== 'dir') throw new ArchiveRefusal(`extraction point is not a directory`);
  const extract = tarExtract();
  let written = 0;
  const reading = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => void chunks.push(chunk as Buffer));
      stream.on('end', () => {
        try {
          if (options.cutAfter !== undefined && written >= options.cutAfter) throw new UploadCut();
          applyEntry(fs, base, header, Buffer.concat(chunks), noOverwriteDirNonDir);
          written += 1;
          options.onEntry?.(header.name);
          next();
        } catch (error) {
          extract.destroy(error as Error);
        }
      });
    });
    extract.on('finish', resolve);
    extract.on('error', reject);
  });
  tar.on('error', (error: Error) => extract.destroy(error));
  tar.pipe(extract as unknown as NodeJS.WritableStream);
  await reading;
}

function applyEntry(fs: FakeFilesystem, base: string, header: Header, content: Buffer, noOverwriteDirNonDir: boolean): void {
  const name = path.normalize(header.name).replace(/\/+$/, '');
  const joined = path.join(base, name);
  if (!isWithin(joined, base)) throw new ArchiveRefusal(`${header.name} is outside of ${base}`);
  if (joined === base) return;
  const parent = fs.resolve(path.dirname(joined), true);
  if (parent === undefined) throw new ArchiveRefusal(`cannot resolve the parent of ${header.name}`);
  fs.mkdirs(parent);
  const at = path.join(parent, path.basename(joined));
  const existing = fs.at(at);
  const isDir = header.type === 'directory';
  if (existing !== undefined && noOverwriteDirNonDir) {
    if (existing.type === 'dir' && !isDir) throw new ArchiveRefusal(`cannot overwrite directory ${at} with non-directory ${header.name}`);
    if (existing.type !== 'dir' && isDir) throw new ArchiveRefusal(`cannot overwrite non-directory ${at} with directory ${header.name}`);
  }
  const owner = { mode: (header.mode ?? 0o644) & 0o7777, uid: header.uid ?? 0, gid: header.gid ?? 0, mtime: header.mtime ?? new Date() };
  if (isDir) {
    if (existing?.type !== 'dir') fs.remove(at);
    fs.nodes.set(at, { type: 'dir', ...owner });
    return;
  }
  if (existing?.type === 'dir') fs.remove(at);
  switch (header.type) {
    case 'file':
    case 'contiguous-file':
      fs.nodes.set(at, { type: 'file', content, ...owner });
      return;
    case 'symlink': {
      const linkname = header.linkname ?? '';
      // Checked against the directory unpacked into, from the link's place, as the real engine does.
      if (!isWithin(path.join(path.dirname(joined), linkname), base)) throw new ArchiveRefusal(`invalid symlink ${joined} -> ${linkname}`);
      fs.nodes.set(at, { type: 'symlink', linkname, ...owner });
      return;
    }
    case 'link': {
      const source = path.join(base, header.linkname ?? '');
      if (!isWithin(source, base)) throw new ArchiveRefusal(`invalid hardlink ${joined} -> ${header.linkname ?? ''}`);
      const resolvedSource = fs.resolve(source, false);
      const node = resolvedSource === undefined ? undefined : fs.at(resolvedSource);
      if (node === undefined) throw new ArchiveRefusal(`hard link target ${header.linkname ?? ''} not found`);
      fs.nodes.set(at, { ...node });
      return;
    }
    default:
      fs.nodes.set(at, { type: 'other', ...owner });
  }
}

function isWithin(candidate: string, base: string): boolean {
  const relative = path.relative(base, candidate);
  return relative === '' || (!relative.startsWith('../') && relative !== '..');
}
