/**
 * What a target's directory holds, from the engine's archive of it (one request instead of a
 * stat per path: docs/BENCHMARKS.md, "inject --os: where the time goes"). The archive is the
 * target's, so its names are untrusted: anything but names below the directory's own first
 * entry, without "..", makes the listing unusable and the caller asks path by path instead.
 */
import { parseEntryPath } from '../archive/entry-path.js';
import type { RawEntry } from '../archive/tar-filter.js';
import type { TargetKind } from './os-conflict-plan.js';

/** Every path below `dir` (absolute) with its kind; undefined when the archive is not a plain listing of `dir`. */
export function kindsFromArchive(dir: string, entries: readonly RawEntry[]): Map<string, TargetKind> | undefined {
  const base = dir.slice(dir.lastIndexOf('/') + 1);
  const first = entries[0];
  if (first === undefined || first.type !== 'directory' || !sameName(first.name, base)) return undefined;
  const kinds = new Map<string, TargetKind>();
  for (const entry of entries.slice(1)) {
    const parsed = parseEntryPath(entry.name);
    if (!parsed.ok || parsed.components.length < 2 || parsed.components[0] !== base || entry.gnuSparse) return undefined;
    kinds.set(`${dir}/${parsed.components.slice(1).join('/')}`, kindOf(entry.type));
  }
  return kinds;
}

function sameName(name: string, base: string): boolean {
  const parsed = parseEntryPath(name);
  return parsed.ok && parsed.components.length === 1 && parsed.components[0] === base;
}

/** A hard link in the engine's archive is a second name of a regular file. */
function kindOf(type: RawEntry['type']): TargetKind {
  return type === 'directory' ? 'dir' : type === 'symlink' ? 'symlink' : type === 'file' || type === 'hardlink' ? 'file' : 'other';
}
