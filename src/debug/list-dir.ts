/**
 * `sidekick ls TARGET:PATH`: a directory of the target through the engine's archive API,
 * which resolves the path inside the container's root (nothing is followed on the host)
 * and works on stopped and scratch containers alike. The archive holds the whole subtree;
 * only its first level is kept, the bodies are skipped as they stream by.
 */
import path from 'node:path';
import { extract as tarExtract } from 'tar-stream';
import type { ContainerPathStat } from '../core/path-stat.js';
import { SidekickError } from '../core/errors.js';
import type { Engine } from '../engines/engine.js';

export type EntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo' | 'other';

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
}

export interface DirListing {
  target: { id: string; name: string };
  path: string;
  entries: DirEntry[];
}

export async function listDirectory(engine: Engine, reference: string, containerPath: string): Promise<DirListing> {
  const target = await engine.findContainer(reference);
  const stat = await engine.statPath(target.id, containerPath);
  if (stat === undefined) {
    throw new SidekickError('BAD_USAGE', `${target.name}:${containerPath}: no such file or directory.`, { hint: `List its parent: sidekick ls ${target.name}:${path.posix.dirname(containerPath)}` });
  }
  const base = { target: { id: target.id, name: target.name }, path: containerPath };
  // A symlink named without a trailing '/' is shown as itself, as `ls -l` does.
  if (stat.kind !== 'dir' && !(stat.kind === 'symlink' && containerPath.endsWith('/'))) {
    return { ...base, entries: [entryFromStat(stat, containerPath)] };
  }
  const directory = containerPath === '/' ? '/.' : `${containerPath.replace(/\/$/, '')}/.`;
  const { tar } = await engine.getArchive(target.id, directory);
  return { ...base, entries: await firstLevelOfTar(tar) };
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
  const extract = tarExtract();
  tar.on('error', (error: Error) => extract.destroy(error));
  tar.pipe(extract as unknown as NodeJS.WritableStream);
  const entries: DirEntry[] = [];
  for await (const entry of extract) {
    const header = entry.header;
    const relative = (header.name ?? '').replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');
    const name = relative === '' || relative === '.' ? '.' : relative;
    if (!name.includes('/')) {
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
  return entries.sort((a, b) => (a.name === '.' ? -1 : b.name === '.' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
