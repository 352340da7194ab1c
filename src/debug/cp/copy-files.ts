/**
 * `sidekick cp`, both ways, through the engine's archive API (docs/ARCHITECTURE.md, "The target's files"): the engine
 * resolves the container side inside the container's root, and the local side is written
 * only by extractTarSafely, which refuses absolute names, "..", and writes through symlinks,
 * because the archive comes from a container we do not trust. Semantics follow `docker cp`:
 * into an existing directory the source keeps its name; otherwise it takes DEST's name.
 *
 * Both ways are all-or-nothing (docs/RELIABILITY.md, "cp"): the archive is unpacked under a
 * private name beside its destination and put in place by rename, and the private copy is
 * removed on every exit path, interruptions included.
 */
import { constants as fsConstants, promises as fs } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { extract as tarExtract } from 'tar-stream';
import { extractTarSafely, type ExtractSummary } from '../../core/archive/extract-tar-safely.js';
import { isUnsafeArchiveError } from '../../core/archive/unsafe-archive-error.js';
import { SidekickError } from '../../core/errors.js';
import type { Engine } from '../../engines/engine.js';
import type { ContainerPath } from '../container-path.js';
import { CopyInterrupted } from './copy-interrupted.js';
import { describeKind, lstatIfExists, resolveLocalDestination } from './local-destination.js';
import { mergeInto, putInPlace } from './local-publish.js';
import { LocalStaging } from './local-staging.js';
import { requireCapability } from '../../engines/capabilities.js';

export { CopyInterrupted } from './copy-interrupted.js';
export { copyToTarget } from './copy-to-target.js';

export interface CopyOptions {
  /** Aborted by the CLI on SIGINT, SIGTERM or SIGHUP (its reason is the signal's name). */
  signal?: AbortSignal;
  /** Bytes of the archive received so far (for a progress line). */
  onBytes?: (total: number) => void;
}

/** Copies TARGET:PATH to a local path, or as a tar to `stdout` when `destination` is "-". */
export async function copyFromTarget(engine: Engine, source: ContainerPath, destination: string, stdout: Writable, options: CopyOptions = {}): Promise<ExtractSummary | undefined> {
  const archive = requireCapability(engine, 'archive', 'copy files (sidekick cp)');
  const target = await engine.findContainer(source.target);
  const stat = await archive.statPath(target.id, source.path);
  if (stat === undefined) {
    throw new SidekickError('PATH_NOT_FOUND', `${target.name}:${source.path}: no such file or directory.`, { hint: `See what is there: sidekick ls ${target.name}:${path.posix.dirname(source.path)}` });
  }
  const what = `${target.name}:${source.path}`;
  if (destination === '-') {
    const tar = counted((await archive.getArchive(target.id, source.path)).tar, options.onBytes);
    await interruptible(tar, options.signal, () => pipeline(tar as unknown as Readable, stdout));
    return undefined;
  }
  const contents = source.path === '/' || source.contentsOnly;
  const archivePath = !contents ? source.path : source.path === '/' ? '/.' : `${source.path.replace(/\/$/, '')}/.`;
  return saveArchive(async () => counted((await archive.getArchive(target.id, archivePath)).tar, options.onBytes), destination, {
    name: path.posix.basename(source.path.replace(/\/$/, '')),
    isDirectory: stat.kind === 'dir',
    contents,
    what,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * Counts what flows through `tar` without changing how it is read: paused first, so that the
 * listener does not start it before its reader is attached (the reader resumes it), and 'data'
 * is emitted for every chunk whichever way it is then read.
 */
function counted(tar: NodeJS.ReadableStream, onBytes: ((total: number) => void) | undefined): NodeJS.ReadableStream {
  if (onBytes === undefined) return tar;
  let total = 0;
  tar.pause();
  tar.on('data', (chunk: Buffer | string) => {
    total += chunk.length;
    onBytes(total);
  });
  return tar;
}

export interface ArchiveSource {
  /** The name the copy keeps inside a destination directory. */
  name: string;
  isDirectory: boolean;
  /** The archive holds a directory's contents (`T:/`, `T:/dir/.`), which go into the destination itself. */
  contents: boolean;
  /** For messages: `TARGET:PATH`. */
  what: string;
  signal?: AbortSignal;
}

/**
 * Writes the archive that `openTar` gives (from an untrusted container) at the local
 * `destination` as typed by the user: unpacked into a staging directory, then put in place.
 */
export async function saveArchive(openTar: () => Promise<NodeJS.ReadableStream>, destination: string, source: ArchiveSource): Promise<ExtractSummary> {
  const { what, signal } = source;
  const local = await resolveLocalDestination(destination);
  if (source.contents) {
    if (local.kind !== 'missing' && local.kind !== 'directory') {
      throw new SidekickError('BAD_USAGE', `cannot copy the contents of ${what} into ${destination}, which is not a directory.`, { hint: 'Name a directory.' });
    }
    const tar = await openTar();
    if (local.kind === 'directory') return staged(local.path, tar, what, signal, async (staging) => mergeInto(staging, local.path, false));
    return staged(path.dirname(local.path), tar, what, signal, async (staging) => putInPlace(staging, local.path), { contents: true });
  }
  let final = local.path;
  let existing = local.kind;
  if (local.kind === 'directory') {
    // Into a directory the copy keeps its name; what sits there already is a name to replace (or a directory to merge into), never a link to follow.
    final = path.join(local.path, source.name);
    const spot = await lstatIfExists(final);
    existing = spot === undefined ? 'missing' : spot.isDirectory() ? 'directory' : spot.isCharacterDevice() || spot.isFIFO() ? 'stream' : 'file';
    if (spot !== undefined && !spot.isFile() && !spot.isSymbolicLink() && !spot.isDirectory() && existing !== 'stream') {
      throw new SidekickError('BAD_USAGE', `${final} is ${describeKind(spot)}; sidekick cp does not replace it.`, { hint: 'Choose another destination.' });
    }
  }
  if (existing === 'stream') {
    if (source.isDirectory) throw new SidekickError('BAD_USAGE', `cannot copy the directory ${what} to ${final}, which is a character device or FIFO.`, { hint: 'Name a directory.' });
    const tar = await openTar();
    return interruptible(tar, signal, () => writeThrough(tar, final, what));
  }
  if (existing === 'directory' && !source.isDirectory) {
    throw new SidekickError('BAD_USAGE', `cannot copy ${what}, which is not a directory, over the directory ${final}.`, { hint: 'Choose another destination, or remove the directory first.' });
  }
  if (existing === 'file' && source.isDirectory && (await fs.lstat(final)).isFile()) {
    throw new SidekickError('BAD_USAGE', `cannot copy a directory over the file ${final}.`, { hint: 'Choose a directory or a new name as the destination.' });
  }
  const tar = await openTar();
  return staged(path.dirname(final), tar, what, signal, async (staging) => {
    const entry = await singleEntry(staging, what);
    if (existing === 'directory') await mergeInto(entry, final, true);
    else await putInPlace(entry, final);
  });
}

/**
 * Unpacks `tar` into a new staging directory inside `directory`, then lets `publish` put it
 * in place. With `contents`, the archive's entries are unpacked into a fresh directory
 * (`staging/contents`, the user's umask) which is what gets published.
 */
async function staged(
  directory: string,
  tar: NodeJS.ReadableStream,
  what: string,
  signal: AbortSignal | undefined,
  publish: (staged: string) => Promise<void>,
  options: { contents?: boolean } = {},
): Promise<ExtractSummary> {
  const staging = await LocalStaging.create(directory);
  try {
    let into = staging.path;
    if (options.contents) {
      into = path.join(staging.path, 'contents');
      await fs.mkdir(into);
    }
    const summary = await interruptible(tar, signal, () => extract(tar, into, what));
    // Once unpacked, putting it in place is a few renames: it is finished even if a signal comes now.
    await publish(into);
    return summary;
  } finally {
    await staging.remove();
  }
}

async function singleEntry(staging: string, what: string): Promise<string> {
  const names = await fs.readdir(staging);
  if (names.length !== 1) {
    throw new SidekickError('UNSAFE_ARCHIVE', `the archive of ${what} holds ${names.length} top-level entries, not one.`, { hint: 'Copy into an existing directory instead.' });
  }
  return path.join(staging, names[0]!);
}

/** Runs `work` on `tar`; an abort destroys the stream and turns whatever failure follows into CopyInterrupted. */
async function interruptible<T>(tar: NodeJS.ReadableStream, signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  if (signal === undefined) return work();
  const onAbort = (): void => void (tar as unknown as Readable).destroy(new CopyInterrupted(String(signal.reason)));
  if (signal.aborted) onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await work();
  } catch (error) {
    if (signal.aborted) throw new CopyInterrupted(String(signal.reason), { cause: error });
    throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * `cp T:/file /dev/null`, or into a FIFO: the file's bytes are written into what is there, as
 * cp does; the device or FIFO itself is never replaced.
 */
async function writeThrough(tar: NodeJS.ReadableStream, destination: string, what: string): Promise<ExtractSummary> {
  const summary: ExtractSummary = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, skipped: 0, bytes: 0 };
  const extract = tarExtract();
  tar.on('error', (error: Error) => extract.destroy(error));
  tar.pipe(extract as unknown as NodeJS.WritableStream);
  for await (const entry of extract) {
    if (summary.files > 0) {
      entry.resume();
      continue;
    }
    if (entry.header.type !== 'file') {
      entry.resume();
      throw new SidekickError('BAD_USAGE', `${what} is not a regular file; only a file's bytes can be written into ${destination}.`, { hint: 'Name a directory as the destination.' });
    }
    // No O_CREAT, no O_TRUNC: this writes into the device or FIFO that is there, or fails.
    const handle = await fs.open(destination, fsConstants.O_WRONLY | fsConstants.O_NOCTTY);
    try {
      const opened = await handle.stat();
      if (!opened.isCharacterDevice() && !opened.isFIFO()) throw new SidekickError('BAD_USAGE', `${destination} changed while being opened.`, { hint: 'Try again.' });
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        for (let offset = 0; offset < chunk.length; ) offset += (await handle.write(chunk, offset)).bytesWritten;
        summary.bytes += chunk.length;
      }
    } finally {
      await handle.close();
    }
    summary.files += 1;
  }
  return summary;
}

async function extract(tar: NodeJS.ReadableStream, directory: string, what: string): Promise<ExtractSummary> {
  try {
    return await extractTarSafely(tar, directory);
  } catch (error) {
    if (isUnsafeArchiveError(error)) {
      throw new SidekickError('UNSAFE_ARCHIVE', `refused the archive of ${what}: ${error.message}.`, {
        hint: 'Nothing outside the destination was written; the container holds crafted names or links.',
        cause: error,
      });
    }
    throw error;
  }
}
