/**
 * `sidekick cp SRC|- TARGET:PATH`. Into a running target the copy is all-or-nothing: the
 * archive is uploaded through the engine into a staging directory beside its destination, then
 * moved into place by a helper in the target's own root (container-staging.ts); an upload that
 * fails or is interrupted is removed. A stopped or paused target cannot run a helper, and the
 * engine's archive API can neither rename nor delete: there the archive is unpacked in place,
 * as `docker cp` does, and an interrupted copy can leave part of it (docs/RELIABILITY.md, "cp").
 */
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { ArchiveEntryCheck } from '../../core/archive/archive-entry-check.js';
import { packPaths, type PackSource } from '../../core/archive/pack-paths.js';
import { filterTar } from '../../core/archive/tar-filter.js';
import { isUnsafeArchiveError } from '../../core/archive/unsafe-archive-error.js';
import { SidekickError, isSidekickError } from '../../core/errors.js';
import type { ContainerPathStat } from '../../core/path-stat.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import type { ContainerPath } from '../container-path.js';
import { CopyInterrupted } from './copy-interrupted.js';
import { openContainerStaging, StagingRefused } from './container-staging.js';
import { requireCapability } from '../../engines/capabilities.js';

export interface CopyToOptions {
  signal?: AbortSignal;
  /** For the helper's toolbox (the same settings `sidekick exec` reads). */
  env?: NodeJS.ProcessEnv;
  /** Bytes of the archive sent so far (for a progress line). */
  onBytes?: (total: number) => void;
}

/** What is uploaded where: a tar whose entries go into `directory`. */
interface Upload {
  directory: string;
  /**
   * The tar; with `under`, every entry is named below that directory (the staging directory's
   * name) so that it can be sent to `directory` itself.
   */
  tar: (under?: string) => Readable;
  /** Set for a tar from stdin: entries it left out (devices, FIFOs). */
  check?: ArchiveEntryCheck;
}

/** Copies a local file or directory (or a tar on `stdin` when `source` is "-") to TARGET:PATH. */
export async function copyToTarget(engine: Engine, source: string, destination: ContainerPath, stdin: Readable, options: CopyToOptions = {}): Promise<void> {
  const archive = requireCapability(engine, 'archive', 'copy files (sidekick cp)');
  if (source === '') throw new SidekickError('BAD_USAGE', 'the source is empty.', { hint: 'Name a local path, or "-" for a tar on stdin.' });
  const target = await engine.findContainer(destination.target);
  const upload = await planUpload(engine, target, source, destination, stdin);
  if (target.status !== 'running') {
    // No helper can run: unpacked in place by the engine, as docker cp does (not all-or-nothing).
    await translateRefusal(target, upload.directory, () => archive.putArchive(target.id, upload.directory, upload.tar()));
    return;
  }
  if (options.signal?.aborted) throw new CopyInterrupted(String(options.signal.reason));
  let staging;
  try {
    staging = await openContainerStaging(engine, target, upload.directory, options.env ?? process.env);
  } catch (error) {
    if (error instanceof StagingRefused) throw refusal(target, upload.directory, error.reason, error);
    throw error;
  }
  let published = false;
  try {
    if (options.signal?.aborted) throw new CopyInterrupted(String(options.signal.reason));
    // Sent to the destination directory with names below the staging directory, rather than to the
    // staging directory: the engine refuses a symlink whose target climbs out of the directory it
    // unpacks into, and the staging directory is one level deeper than the copy's place. A tar
    // from stdin is unpacked in the staging directory itself (its names are not rewritten).
    if (upload.check) await sendInterruptibly(engine, target, staging.path, upload.tar(), options.signal, options.onBytes);
    else await sendInterruptibly(engine, target, upload.directory, upload.tar(staging.name), options.signal, options.onBytes);
    if (options.signal?.aborted) throw new CopyInterrupted(String(options.signal.reason));
    await staging.publish();
    published = true;
  } finally {
    if (!published) await staging.abort().catch(() => undefined);
  }
}

async function planUpload(engine: Engine, target: Target, source: string, destination: ContainerPath, stdin: Readable): Promise<Upload> {
  const archive = requireCapability(engine, 'archive', 'copy files (sidekick cp)');
  const where = `${target.name}:${destination.path}`;
  const destinationStat = await archive.statPath(target.id, destination.path);
  const isDirectory = destinationStat?.kind === 'dir' || (destinationStat?.kind === 'symlink' && (await followsToDirectory(engine, target, destination.path)));
  const directoryPath = destination.path.replace(/(.)\/+$/, '$1');
  if (source === '-') {
    if (!isDirectory) throw notADirectory(target, destination.path, destinationStat, 'a tar from stdin is unpacked into one');
    const check = new ArchiveEntryCheck();
    return { directory: directoryPath, tar: () => checkedTar(stdin, check, where), check };
  }
  let local: Stats;
  try {
    local = await fs.lstat(source);
  } catch {
    throw new SidekickError('PATH_NOT_FOUND', `${source}: no such file or directory.`, { hint: 'Check the local path.' });
  }
  // "DIR/." is the directory's contents (docker cp's rule): its entries go in under their own names.
  if ((source === '.' || source.endsWith(`${path.sep}.`)) && local.isDirectory()) {
    if (!isDirectory) throw notADirectory(target, destination.path, destinationStat, `the contents of ${source} go into one`);
    const names = await fs.readdir(source);
    return { directory: directoryPath, tar: (under) => packPaths(names.map((name): PackSource => ({ path: path.join(source, name), name: below(under, name) }))) };
  }
  if (isDirectory) return { directory: directoryPath, tar: (under) => packPaths([{ path: source, name: below(under, path.basename(path.resolve(source))) }]) };
  if (destination.path.endsWith('/') || destination.path === '/') throw notADirectory(target, destination.path, destinationStat, 'drop the trailing "/" to copy under that name');
  if (destinationStat !== undefined && local.isDirectory()) {
    throw new SidekickError('BAD_USAGE', `cannot copy a directory over the file ${where}.`, { hint: 'Choose a directory or a new name as the destination.' });
  }
  if (destinationStat?.kind === 'other') {
    throw new SidekickError('BAD_USAGE', `${where} is a device, FIFO or socket; sidekick cp does not replace it.`, { hint: 'Choose another destination.' });
  }
  const parent = path.posix.dirname(destination.path);
  const parentStat = await archive.statPath(target.id, parent);
  if (parentStat?.kind !== 'dir' && !(parentStat?.kind === 'symlink' && (await followsToDirectory(engine, target, parent)))) {
    throw notADirectory(target, parent, parentStat, 'create it first');
  }
  return { directory: parent, tar: (under) => packPaths([{ path: source, name: below(under, path.posix.basename(destination.path)) }]) };
}

function below(directory: string | undefined, name: string): string {
  return directory === undefined ? name : `${directory}/${name}`;
}

async function followsToDirectory(engine: Engine, target: Target, containerPath: string): Promise<boolean> {
  const archive = requireCapability(engine, 'archive', 'copy files (sidekick cp)');
  return (await archive.statPath(target.id, `${containerPath.replace(/\/+$/, '')}/.`))?.kind === 'dir';
}

/** Says what the path really is: missing, a file, or a symlink and where it leads. */
function notADirectory(target: Target, containerPath: string, stat: ContainerPathStat | undefined, what: string): SidekickError {
  const where = `${target.name}:${containerPath}`;
  const hint = `Name an existing directory (${what}).`;
  if (stat === undefined) return new SidekickError('PATH_NOT_FOUND', `${where} does not exist.`, { hint: `Create it first, or name an existing directory (${what}).` });
  if (stat.kind === 'symlink') {
    return new SidekickError('PATH_NOT_FOUND', `${where} is a symlink to ${stat.linkTarget || '(unknown)'}, which is not an existing directory in the container.`, { hint });
  }
  const kind = stat.kind === 'file' ? 'a regular file' : 'a device, FIFO or socket';
  return new SidekickError('PATH_NOT_FOUND', `${where} is ${kind}, not a directory.`, { hint });
}

/** A tar from stdin, passed on entry by entry only if ArchiveEntryCheck accepts it. */
function checkedTar(stdin: Readable, check: ArchiveEntryCheck, where: string): Readable {
  const filter = filterTar((entry) => check.check(entry));
  stdin.on('error', (error: Error) => filter.destroy(error));
  stdin.pipe(filter);
  const out = new PassThrough();
  filter.on('error', (error: Error) => {
    const reason = isUnsafeArchiveError(error)
      ? new SidekickError('UNSAFE_ARCHIVE', `refused the tar on stdin for ${where}: ${error.message}.`, {
          hint: 'Nothing was copied. Entries must have relative names without "..", and none may go through a symlink the archive makes.',
          cause: error,
        })
      : new SidekickError('BAD_USAGE', `the tar on stdin for ${where} cannot be read: ${error.message}.`, { hint: 'Nothing was copied. Give an uncompressed tar archive.', cause: error });
    out.destroy(reason);
  });
  filter.pipe(out);
  return out;
}

/**
 * Uploads into the staging directory. On a signal the request body is ended early rather than
 * the connection cut, and the engine's answer is awaited: once it has answered, it has stopped
 * writing, so the helper's removal that follows cannot race a last write.
 */
async function sendInterruptibly(engine: Engine, target: Target, directory: string, tar: Readable, signal: AbortSignal | undefined, onBytes?: (total: number) => void): Promise<void> {
  const archive = requireCapability(engine, 'archive', 'copy files (sidekick cp)');
  const body = new PassThrough();
  let failure: unknown;
  tar.on('error', (error: Error) => {
    failure = error;
    // Ends the body with a truncated tar: the engine's extraction fails, and the upload is removed.
    tar.unpipe(body);
    body.end();
  });
  const onAbort = (): void => {
    tar.unpipe(body);
    tar.destroy();
    body.end();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  tar.pipe(body);
  if (onBytes !== undefined) {
    // Attached once the tar already flows into the body: counting changes nothing of how it is read.
    let total = 0;
    tar.on('data', (chunk: Buffer) => {
      total += chunk.length;
      onBytes(total);
    });
  }
  try {
    await translateRefusal(target, directory, () => archive.putArchive(target.id, directory, body));
  } catch (error) {
    if (signal?.aborted) throw new CopyInterrupted(String(signal.reason), { cause: error });
    throw failure ?? error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  if (signal?.aborted) throw new CopyInterrupted(String(signal.reason));
  if (failure !== undefined) throw failure;
}

/** The engine's refusals (a read-only root filesystem, above all) in plain words. */
async function translateRefusal(target: Target, directory: string, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    const message = isSidekickError(error) && error.code === 'ENGINE_ERROR' ? error.message : '';
    if (/read-only/i.test(message)) throw refusal(target, directory, message, error);
    throw error;
  }
}

function refusal(target: Target, directory: string, reason: string, cause: unknown): SidekickError {
  if (!/read-only/i.test(reason)) {
    return new SidekickError('ENGINE_ERROR', `cannot write in ${target.name}:${directory}: ${reason}`, { hint: 'Check the path and its permissions in the container.', cause });
  }
  // The engine's archive API writes, on a read-only root, only into volumes and bind mounts: not into a tmpfs.
  const writable = target.mounts.filter((mount) => !mount.readOnly && mount.type !== 'tmpfs').map((mount) => `${mount.destination} (${mount.type})`);
  const onMount = target.mounts
    .filter((mount) => isUnder(directory, mount.destination))
    .sort((a, b) => b.destination.length - a.destination.length)[0];
  const hint =
    writable.length > 0
      ? `Its writable volumes: ${writable.join(', ')}; copy there.`
      : 'It has no writable volume; start it with one (docker run -v VOLUME:/path) to copy files in.';
  if (onMount?.readOnly) {
    return new SidekickError('READ_ONLY_TARGET', `${target.name}:${directory} is on a read-only mount (${onMount.destination}); nothing was copied.`, { hint, cause });
  }
  if (onMount?.type === 'tmpfs') {
    return new SidekickError('READ_ONLY_TARGET', `the root filesystem of ${target.name} is read-only, and the engine copies only into volumes then, not into its tmpfs ${onMount.destination}; nothing was copied.`, { hint, cause });
  }
  return new SidekickError('READ_ONLY_TARGET', `the root filesystem of ${target.name} is read-only; nothing was copied to ${directory}.`, { hint, cause });
}

function isUnder(containerPath: string, mountPoint: string): boolean {
  const base = mountPoint.replace(/\/+$/, '');
  return containerPath === base || containerPath.startsWith(`${base}/`);
}
