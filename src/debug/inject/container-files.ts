/**
 * Small reads of a target's filesystem through the engine (never through /proc/<pid>/root on
 * the host, docs/ARCHITECTURE.md, "The target's files"), and commands run inside the target with the injected busybox.
 */
import { extract as tarExtract } from 'tar-stream';
import type { ContainerPathStat } from '../../core/path-stat.js';
import { filterTar, type RawEntry } from '../../core/archive/tar-filter.js';
import { kindsFromArchive } from '../../core/inject/directory-listing.js';
import { SidekickError } from '../../core/errors.js';
import type { TargetKind } from '../../core/inject/os-conflict-plan.js';
import type { Engine } from '../../engines/engine.js';
import { requireCapability } from '../../engines/capabilities.js';

export function kindOf(stat: ContainerPathStat | undefined): TargetKind {
  if (stat === undefined) return 'absent';
  return stat.kind === 'dir' ? 'dir' : stat.kind === 'symlink' ? 'symlink' : stat.kind === 'file' ? 'file' : 'other';
}

/**
 * The content of a regular file in the container, or undefined when there is none (or it is
 * not a regular file: a symlink is not followed). Bounded, because the target chose the size.
 */
export async function readContainerFile(engine: Engine, containerId: string, path: string, maxBytes: number): Promise<Buffer | undefined> {
  const archive = requireCapability(engine, 'archive', 'read files of the target');
  const stat = await archive.statPath(containerId, path);
  if (stat === undefined || stat.kind !== 'file' || stat.size > maxBytes) return undefined;
  const extract = await archiveEntries(engine, containerId, path);
  if (extract === undefined) return undefined;
  let content: Buffer | undefined;
  for await (const entry of extract) {
    if (content === undefined && entry.header.type === 'file' && (entry.header.size ?? 0) <= maxBytes) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      content = Buffer.concat(chunks);
    } else {
      entry.resume();
    }
  }
  return content;
}

/**
 * The entries of the engine's archive of a path, to be iterated; undefined when the path is
 * gone (between a stat and the read, it is the same as never there).
 */
export async function archiveEntries(engine: Engine, containerId: string, path: string): Promise<ReturnType<typeof tarExtract> | undefined> {
  const archive = requireCapability(engine, 'archive', 'read files of the target');
  let tar: NodeJS.ReadableStream;
  try {
    ({ tar } = await archive.getArchive(containerId, path));
  } catch (error) {
    if (error instanceof SidekickError && error.code === 'ENGINE_ERROR') return undefined;
    throw error;
  }
  const extract = tarExtract();
  tar.on('error', (error: Error) => extract.destroy(error));
  tar.pipe(extract as unknown as NodeJS.WritableStream);
  return extract;
}

/** The target chose the directory's size: past these, its listing is given up for a stat per path. */
const LISTING_MAX_BYTES = 1 << 20;
const LISTING_MAX_ENTRIES = 4096;

/**
 * Every path below the directory `dir` of the container with its kind, read from the engine's
 * archive of it (resolved inside the container's root, never on the host); undefined when it
 * is gone, not a directory, or larger than the bounds above: the caller stats path by path.
 */
export async function listDirectoryKinds(engine: Engine, containerId: string, dir: string): Promise<Map<string, TargetKind> | undefined> {
  const archive = requireCapability(engine, 'archive', 'read files of the target');
  let tar: NodeJS.ReadableStream & { destroy?: () => void };
  try {
    const got = await archive.getArchive(containerId, dir);
    tar = got.tar;
    if (got.stat?.kind !== 'dir') {
      tar.destroy?.();
      return undefined;
    }
  } catch (error) {
    if (error instanceof SidekickError && error.code === 'ENGINE_ERROR') return undefined;
    throw error;
  }
  const entries: RawEntry[] = [];
  let bytes = 0;
  const filter = filterTar((entry) => {
    entries.push(entry);
    return false;
  });
  const tooLarge = new Error('too large');
  tar.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > LISTING_MAX_BYTES || entries.length > LISTING_MAX_ENTRIES) {
      tar.destroy?.();
      filter.destroy(tooLarge);
    }
  });
  tar.on('error', (error: Error) => filter.destroy(error));
  tar.pipe(filter);
  try {
    for await (const chunk of filter) void chunk;
  } catch {
    return undefined;
  }
  return kindsFromArchive(dir, entries);
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command inside the target (docker exec) without a terminal and collects its output. */
export async function execCapture(engine: Engine, containerId: string, command: string[], options: { user?: string; env?: string[] } = {}): Promise<ExecResult> {
  const handle = await engine.execInContainer(containerId, {
    command,
    tty: false,
    openStdin: false,
    ...(options.user !== undefined ? { user: options.user } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  handle.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  handle.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const { code } = await handle.exit;
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** The owner (uid) of a path in the container as the engine's archive reports it; undefined when absent. */
export async function ownerOf(engine: Engine, containerId: string, path: string): Promise<number | undefined> {
  const extract = await archiveEntries(engine, containerId, path);
  if (extract === undefined) return undefined;
  let uid: number | undefined;
  for await (const entry of extract) {
    if (uid === undefined) uid = entry.header.uid ?? undefined;
    entry.resume();
  }
  return uid;
}

/**
 * Before running a toolbox as root (eject, shell --root): one outside "/" may sit in a directory
 * that the target's unprivileged user can write (/tmp), who could have planted a "toolbox" with
 * a forged manifest before sidekick ever came. What sidekick writes is owned by root; a non-root
 * process cannot make such files nor, below a root-owned 0755 prefix, change them. "/" itself
 * is root's in every sane image, so the default prefix skips the check (it costs the engine a
 * chrooted tar process per file).
 */
export async function assertRootOwnedToolbox(engine: Engine, containerId: string, prefix: string, file = 'bin/busybox'): Promise<void> {
  if (prefix.lastIndexOf('/') === 0) return;
  const owners = await Promise.all([prefix, `${prefix}/${file}`].map((path) => ownerOf(engine, containerId, path)));
  if (owners.every((uid) => uid === 0)) return;
  throw new SidekickError('INJECTION_REFUSED', `the toolbox at ${prefix} is not owned by root, so sidekick did not write it; it will not run it as root.`, {
    hint: 'Look at it with sidekick exec, which runs nothing from the target.',
  });
}
