/**
 * `sidekick ls TARGET:PATH`. A running (or paused) target is listed by a short-lived sidekick
 * in its PID namespace, a `stat` of each entry (list-script.ts): one directory's metadata,
 * whatever lies below it. A stopped one has no process to look through: it is listed through
 * the engine's archive API, which resolves the path inside the container's root (nothing is
 * followed on the host) but streams the whole subtree, bodies and all; the caller is told
 * how much as it goes (onArchiveBytes), since that can take minutes on a large tree.
 */
import path from 'node:path';
import { extract as tarExtract } from 'tar-stream';
import type { ContainerPathStat } from '../core/path-stat.js';
import { SidekickError } from '../core/errors.js';
import type { Engine } from '../engines/engine.js';
import { listRunningTarget } from './list-live.js';
import { assumeDefaultToolbox } from './toolbox.js';

export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo' | 'socket' | 'other';

export interface DirEntry {
  name: string;
  type: EntryType;
  /** Permission bits with setuid/setgid/sticky. */
  mode: number;
  uid: number | null;
  gid: number | null;
  size: number;
  mtime: string | null;
  linkTarget: string | null;
  /** Hard links (known when a sidekick listed it). */
  links?: number;
  /** A device's numbers. */
  device?: { major: number; minor: number };
  /** Owner and group names from the target's own /etc/passwd and /etc/group (known when a sidekick listed it). */
  user?: string;
  group?: string;
}

export interface DirListing {
  target: { id: string; name: string };
  path: string;
  entries: DirEntry[];
  /** With recursion: every directory listed, the first being PATH itself. */
  directories?: Array<{ path: string; entries: DirEntry[] }>;
  /** How it was read: a sidekick's stat of each entry, or the engine's archive of the whole subtree. */
  source: 'sidekick' | 'archive';
  /** Directories met while recursing that could not be read. */
  unreadable?: string[];
}

export interface ListOptions {
  recursive?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Called as a stopped target's archive streams by, with the bytes read so far. */
  onArchiveBytes?: (bytes: number) => void;
}

export async function listDirectory(engine: Engine, reference: string, containerPath: string, options: ListOptions = {}): Promise<DirListing> {
  const env = options.env ?? process.env;
  // Started at once: for a running target the toolbox is needed. Its image is not asked about:
  // the sidekick's create says when it is missing (then it is built).
  const toolboxReady = assumeDefaultToolbox(engine, env);
  toolboxReady.catch(() => undefined);
  const target = await engine.findContainer(reference);
  if (target.status === 'running' || target.status === 'paused') {
    const { toolbox, build } = await toolboxReady;
    return listRunningTarget(engine, target, containerPath, options.recursive ?? false, toolbox, env, build);
  }
  const stat = await engine.statPath(target.id, containerPath);
  if (stat === undefined) {
    throw new SidekickError('BAD_USAGE', `${target.name}:${containerPath}: no such file or directory.`, { hint: `List its parent: sidekick ls ${target.name}:${path.posix.dirname(containerPath)}` });
  }
  const base = { target: { id: target.id, name: target.name }, path: containerPath, source: 'archive' as const };
  // A symlink named without a trailing '/' is shown as itself, as `ls -l` does.
  if (stat.kind !== 'dir' && !(stat.kind === 'symlink' && containerPath.endsWith('/'))) {
    return { ...base, entries: [entryFromStat(stat, containerPath)] };
  }
  const directory = containerPath === '/' ? '/.' : `${containerPath.replace(/\/$/, '')}/.`;
  const { tar } = await engine.getArchive(target.id, directory);
  if (options.onArchiveBytes) {
    let bytes = 0;
    const report = options.onArchiveBytes;
    tar.on('data', (chunk: Buffer) => report((bytes += chunk.length)));
  }
  const levels = await levelsOfTar(tar, options.recursive ?? false);
  const top = levels.get('') ?? [];
  if (!options.recursive) return { ...base, entries: top };
  const shown = containerPath.replace(/\/+$/, '') || '/';
  const directories = [...levels].map(([relative, entries]) => ({ path: relative === '' ? shown : path.posix.join(shown, relative), entries }));
  return { ...base, entries: top, directories };
}

function entryFromStat(stat: ContainerPathStat, containerPath: string): DirEntry {
  return {
    name: path.posix.basename(containerPath.replace(/\/$/, '')) || '/',
    type: stat.kind === 'dir' ? 'directory' : stat.kind === 'symlink' ? 'symlink' : stat.kind === 'file' ? 'file' : 'other',
    mode: stat.mode,
    uid: null,
    gid: null,
    size: stat.size,
    mtime: Number.isNaN(stat.mtime.getTime()) ? null : stat.mtime.toISOString(),
    linkTarget: stat.kind === 'symlink' ? stat.linkTarget : null,
  };
}

const TYPES: Record<string, EntryType> = {
  file: 'file',
  'contiguous-file': 'file',
  directory: 'directory',
  symlink: 'symlink',
  link: 'hardlink',
  'character-device': 'char-device',
  'block-device': 'block-device',
  fifo: 'fifo',
};

/** The entries of an archive of "DIR/." at depth one ("./x", "./x/"), the directory itself as ".". Sorted by name. */
export async function firstLevelOfTar(tar: NodeJS.ReadableStream): Promise<DirEntry[]> {
  return (await levelsOfTar(tar, false)).get('') ?? [];
}

/**
 * The entries of an archive of "DIR/." by directory (relative to DIR, '' for DIR itself, whose
 * own entry is "."): the first level only, or every level. Each sorted by name.
 */
export async function levelsOfTar(tar: NodeJS.ReadableStream, recursive: boolean): Promise<Map<string, DirEntry[]>> {
  const extract = tarExtract();
  tar.on('error', (error: Error) => extract.destroy(error));
  tar.pipe(extract as unknown as NodeJS.WritableStream);
  const levels = new Map<string, DirEntry[]>([['', []]]);
  for await (const entry of extract) {
    const header = entry.header;
    const relative = (header.name ?? '').replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
    const full = relative === '' || relative === '.' ? '.' : relative;
    const slash = full.lastIndexOf('/');
    const parent = slash < 0 ? '' : full.slice(0, slash);
    const name = slash < 0 ? full : full.slice(slash + 1);
    if (recursive && header.type === 'directory' && full !== '.') {
      const own = levels.get(full) ?? [];
      levels.set(full, own);
      own.push({ name: '.', type: 'directory', mode: (header.mode ?? 0) & 0o7777, uid: header.uid ?? null, gid: header.gid ?? null, size: header.size ?? 0, mtime: isoOf(header.mtime), linkTarget: null });
    }
    if (parent === '' || recursive) {
      const entries = levels.get(parent) ?? [];
      levels.set(parent, entries);
      entries.push({
        name,
        type: TYPES[header.type ?? ''] ?? 'other',
        mode: (header.mode ?? 0) & 0o7777,
        uid: header.uid ?? null,
        gid: header.gid ?? null,
        size: header.size ?? 0,
        mtime: header.mtime instanceof Date && !Number.isNaN(header.mtime.getTime()) ? header.mtime.toISOString() : null,
        linkTarget: header.linkname ?? null,
      });
    }
    entry.resume();
  }
  for (const entries of levels.values()) entries.sort((a, b) => (a.name === '.' ? -1 : b.name === '.' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return new Map([...levels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function isoOf(mtime: unknown): string | null {
  return mtime instanceof Date && !Number.isNaN(mtime.getTime()) ? mtime.toISOString() : null;
}
