/**
 * Builds the tar stream that the engine's `PUT /containers/{id}/archive` extracts into a
 * container. Local paths are trusted here (the user chose them); what matters is fidelity —
 * symlinks stay symlinks, modes and mtimes survive — and that a large tree or file never has
 * to fit in memory.
 *
 * Limits, all of the tar format or of tar-stream: mtimes are whole seconds; uid/gid are the
 * local numeric ids (the engine ignores them unless asked to copy ownership); files with
 * several hard links are stored once per name; a file is stored with the size it had when
 * opened, so one that grows meanwhile is cut at that size and one that shrinks fails the stream.
 */
import { constants as fsConstants, promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pack as tarPack, type Header, type Pack } from 'tar-stream';

type Headers = Partial<Header> & Pick<Header, 'name'>;
import { parseEntryPath } from './entry-path.js';

/** A local path, stored under its basename, or under `name` (a relative archive path) when given. */
export type PackSource = string | { path: string; name?: string };

export interface PackOptions {
  /**
   * Told about what is left out: sockets, fifos and devices (which make no sense to upload),
   * and entries below a source that vanish while the tree is walked.
   */
  onSkipped?: (path: string, reason: string) => void;
}

/**
 * Returns a tar stream of `sources`. A bad `name` throws at once; filesystem errors (a source
 * that does not exist, a file that cannot be read) destroy the stream with that error.
 */
export function packPaths(sources: readonly PackSource[], options: PackOptions = {}): Readable {
  const roots = sources.map(resolveSource);
  const pack = tarPack();
  const run = async (): Promise<void> => {
    for (const root of roots) await addTree(pack, root.absolute, root.name, true, options);
    pack.finalize();
  };
  run().catch((error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))));
  // tar-stream's pack is a streamx stream; callers (HTTP bodies, pipeline) deserve a real Node Readable.
  return Readable.from(pack, { objectMode: false });
}

function resolveSource(source: PackSource): { absolute: string; name: string } {
  const localPath = typeof source === 'string' ? source : source.path;
  const absolute = path.resolve(localPath);
  const requested = typeof source === 'string' ? undefined : source.name;
  const name = requested ?? path.basename(absolute);
  const parsed = parseEntryPath(name);
  if (name === '' || (parsed.ok && parsed.components.length === 0)) {
    throw new Error(`cannot pack ${localPath}: it has no name of its own; give one`);
  }
  if (!parsed.ok) throw new Error(`cannot pack ${localPath} as ${JSON.stringify(name)}: the name ${parsed.reason}`);
  return { absolute, name: parsed.components.join('/') };
}

async function addTree(pack: Pack, absolute: string, name: string, isRoot: boolean, options: PackOptions): Promise<void> {
  let stat: Stats;
  try {
    stat = await fs.lstat(absolute);
  } catch (error) {
    // Below a root, a name that vanished between readdir and lstat is a race with its owner, not a failure.
    if (!isRoot && (error as NodeJS.ErrnoException).code === 'ENOENT') {
      options.onSkipped?.(absolute, 'it disappeared while being packed');
      return;
    }
    throw error;
  }
  const header = {
    name,
    mode: stat.mode & 0o7777,
    uid: stat.uid,
    gid: stat.gid,
    mtime: stat.mtime,
  };
  if (stat.isSymbolicLink()) {
    await addVoidEntry(pack, { ...header, type: 'symlink', linkname: await fs.readlink(absolute) });
  } else if (stat.isDirectory()) {
    await addVoidEntry(pack, { ...header, name: `${name}/`, type: 'directory' });
    // Sorted so that the same tree always gives the same archive.
    const children = (await fs.readdir(absolute)).sort();
    for (const child of children) await addTree(pack, path.join(absolute, child), `${name}/${child}`, false, options);
  } else if (stat.isFile()) {
    await addFile(pack, absolute, header);
  } else {
    options.onSkipped?.(absolute, 'it is a socket, fifo or device');
  }
}

function addVoidEntry(pack: Pack, header: Headers): Promise<void> {
  return new Promise((resolve, reject) => {
    // Errors reach us through the callback; without a listener the sink's 'error' event would crash the process.
    pack.entry(header, (error) => (error ? reject(error) : resolve())).on('error', ignore);
  });
}

const READ_CHUNK = 128 * 1024;

async function addFile(pack: Pack, absolute: string, header: Headers): Promise<void> {
  // O_NOFOLLOW: it was a regular file at lstat; if it has been swapped for a symlink since, fail rather than pack what it points at.
  const handle = await fs.open(absolute, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
  try {
    // The size comes from the open file, so the header matches what we will read.
    const stat = await handle.stat();
    if (!stat.isFile()) throw new Error(`${absolute} is no longer a regular file`);
    await streamFile(pack, handle, absolute, { ...header, type: 'file', size: stat.size });
  } finally {
    await handle.close();
  }
}

async function streamFile(pack: Pack, handle: FileHandle, absolute: string, header: Headers): Promise<void> {
  let settled: Error | null | undefined;
  let wake: (() => void) | undefined;
  const sink = pack.entry(header, (error) => {
    settled = error ?? null;
    wake?.();
  });
  sink.on('error', ignore);
  // One waiter at a time: either room in the sink, or the entry finishing (or failing).
  const wait = (event: 'drain' | undefined): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        wake = undefined;
        if (event) sink.off(event, done);
        resolve();
      };
      wake = done;
      if (event) sink.on(event, done);
    });

  const size = header.size ?? 0;
  let position = 0;
  while (position < size) {
    if (settled !== undefined) break;
    const buffer = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - position));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
    if (bytesRead === 0) {
      const error = new Error(`${absolute} shrank while being packed`);
      sink.destroy(error);
      throw error;
    }
    position += bytesRead;
    if (!sink.write(buffer.subarray(0, bytesRead)) && settled === undefined) await wait('drain');
  }
  if (settled === undefined) {
    sink.end(null);
    if (settled === undefined) await wait(undefined);
  }
  if (settled) throw settled;
  if (settled === undefined) throw new Error(`the tar stream stopped while packing ${absolute}`);
}

function ignore(): void {}
