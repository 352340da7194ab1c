/**
 * `sidekick cp`, both ways, through the engine's archive API (DESIGN.md §1.3): the engine
 * resolves the container side inside the container's root, and the local side is written
 * only by extractTarSafely, which refuses absolute names, "..", and writes through symlinks,
 * because the archive comes from a container we do not trust. Semantics follow `docker cp`:
 * into an existing directory the source keeps its name; otherwise it takes DEST's name.
 */
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';
import { extractTarSafely, type ExtractSummary } from '../core/archive/extract-tar-safely.js';
import { packPaths } from '../core/archive/pack-paths.js';
import { isUnsafeArchiveError } from '../core/archive/unsafe-archive-error.js';
import { SidekickError } from '../core/errors.js';
import type { Engine } from '../engines/engine.js';
import type { ContainerPath } from './container-path.js';

/** Copies TARGET:PATH to a local path, or as a tar to `stdout` when `destination` is "-". */
export async function copyFromTarget(engine: Engine, source: ContainerPath, destination: string, stdout: Writable): Promise<ExtractSummary | undefined> {
  const target = await engine.findContainer(source.target);
  const stat = await engine.statPath(target.id, source.path);
  if (stat === undefined) {
    throw new SidekickError('PATH_NOT_FOUND', `${target.name}:${source.path}: no such file or directory.`, { hint: `See what is there: sidekick ls ${target.name}:${path.posix.dirname(source.path)}` });
  }
  if (destination === '-') {
    const { tar } = await engine.getArchive(target.id, source.path);
    await pipeline(tar as unknown as Readable, stdout);
    return undefined;
  }
  const what = `${target.name}:${source.path}`;
  // The root has no name of its own (the engine would send "/" entries): its contents go into DEST, as with docker cp.
  if (source.path === '/' || source.contentsOnly) {
    const into = path.resolve(destination);
    const existing = await statIfExists(into);
    if (existing === undefined) await fs.mkdir(into);
    else if (!existing.isDirectory()) throw new SidekickError('BAD_USAGE', `cannot copy the contents of ${what} into the file ${destination}.`, { hint: 'Name a directory.' });
    const { tar } = await engine.getArchive(target.id, source.path === '/' ? '/.' : `${source.path.replace(/\/$/, '')}/.`);
    return saveArchive(tar, { into }, what);
  }
  const plan = await planLocalDestination(destination, stat.kind === 'dir');
  const { tar } = await engine.getArchive(target.id, source.path);
  return saveArchive(tar, plan, what);
}

export type LocalPlan = { into: string } | { as: string };

/** Where a copy lands: inside an existing directory, or as a new (or replaced) name. */
export async function planLocalDestination(destination: string, sourceIsDirectory: boolean): Promise<LocalPlan> {
  const resolved = path.resolve(destination);
  const existing = await statIfExists(resolved);
  if (existing?.isDirectory()) return { into: resolved };
  if (destination.endsWith('/') || destination.endsWith(`${path.sep}.`)) {
    throw new SidekickError('PATH_NOT_FOUND', `${destination} is not an existing directory.`, { hint: 'Create it first, or drop the trailing "/" to copy under that name.' });
  }
  if (existing && sourceIsDirectory) {
    throw new SidekickError('BAD_USAGE', `cannot copy a directory over the file ${destination}.`, { hint: 'Choose a directory or a new name as the destination.' });
  }
  const parent = await statIfExists(path.dirname(resolved));
  if (!parent?.isDirectory()) {
    throw new SidekickError('PATH_NOT_FOUND', `${path.dirname(resolved)} is not an existing directory.`, { hint: 'Create it first.' });
  }
  return { as: resolved };
}

/**
 * Writes an archive whose single top-level entry is the copied file or directory. For
 * `as`, it is unpacked into a private directory beside the destination and then renamed,
 * so that a refused archive leaves nothing at all behind.
 */
export async function saveArchive(tar: NodeJS.ReadableStream, plan: LocalPlan, what: string): Promise<ExtractSummary> {
  if ('into' in plan) return extract(tar, plan.into, what);
  const staging = await fs.mkdtemp(path.join(path.dirname(plan.as), '.sidekick-cp-'));
  try {
    const summary = await extract(tar, staging, what);
    const names = await fs.readdir(staging);
    if (names.length !== 1) {
      throw new SidekickError('UNSAFE_ARCHIVE', `the archive of ${what} holds ${names.length} top-level entries, not one.`, { hint: 'Copy into an existing directory instead.' });
    }
    // rename(2) replaces a file in place but never a directory; planLocalDestination ruled that out.
    await fs.rename(path.join(staging, names[0]!), plan.as);
    return summary;
  } finally {
    // Removes links as links (never their targets): nothing outside the staging directory is touched.
    await fs.rm(staging, { recursive: true, force: true });
  }
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

/** Copies a local file or directory (or a tar on `stdin` when `source` is "-") to TARGET:PATH. */
export async function copyToTarget(engine: Engine, source: string, destination: ContainerPath, stdin: Readable): Promise<void> {
  const target = await engine.findContainer(destination.target);
  const where = `${target.name}:${destination.path}`;
  const destinationStat = await engine.statPath(target.id, destination.path);
  const isDirectory = destinationStat?.kind === 'dir' || (destinationStat?.kind === 'symlink' && (await engine.statPath(target.id, `${destination.path.replace(/\/$/, '')}/.`))?.kind === 'dir');
  if (source === '-') {
    if (!isDirectory) {
      throw new SidekickError('PATH_NOT_FOUND', `${where} is not an existing directory; a tar from stdin is unpacked into one.`, { hint: 'Create it first, or name its parent.' });
    }
    await engine.putArchive(target.id, destination.path, stdin);
    return;
  }
  let local: Stats;
  try {
    local = await fs.lstat(source);
  } catch {
    throw new SidekickError('PATH_NOT_FOUND', `${source}: no such file or directory.`, { hint: 'Check the local path.' });
  }
  // "DIR/." is the directory's contents (docker cp's rule): its entries go in under their own names.
  if ((source === '.' || source.endsWith(`${path.sep}.`)) && local.isDirectory()) {
    if (!isDirectory) {
      throw new SidekickError('PATH_NOT_FOUND', `${where} is not an existing directory; the contents of ${source} go into one.`, { hint: 'Create it first.' });
    }
    const names = await fs.readdir(source);
    await engine.putArchive(target.id, destination.path, packPaths(names.map((name) => ({ path: path.join(source, name), name }))));
    return;
  }
  if (isDirectory) {
    await engine.putArchive(target.id, destination.path, packPaths([source]));
    return;
  }
  if (destination.path.endsWith('/') || destination.path === '/') {
    throw new SidekickError('PATH_NOT_FOUND', `${where} is not an existing directory.`, { hint: 'Create it first, or drop the trailing "/".' });
  }
  if (destinationStat !== undefined && local.isDirectory()) {
    throw new SidekickError('BAD_USAGE', `cannot copy a directory over the file ${where}.`, { hint: 'Choose a directory or a new name as the destination.' });
  }
  const parent = path.posix.dirname(destination.path);
  const parentStat = await engine.statPath(target.id, parent);
  if (parentStat?.kind !== 'dir') {
    throw new SidekickError('PATH_NOT_FOUND', `${target.name}:${parent} is not an existing directory.`, { hint: 'Create it first.' });
  }
  await engine.putArchive(target.id, parent, packPaths([{ path: source, name: path.posix.basename(destination.path) }]));
}

async function statIfExists(file: string): Promise<Stats | undefined> {
  try {
    return await fs.stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
