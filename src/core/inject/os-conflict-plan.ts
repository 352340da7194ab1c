/**
 * Decides which entries of an OS root filesystem may be written into a target: only paths
 * that do not exist there (docs/ARCHITECTURE.md, "Injection"). Pure: what the target holds is given as a map from
 * path to kind, which the caller fills by asking the engine for exactly the paths that
 * `pathsToProbe` names — level by level, and only below directories the target really has, so a
 * Debian rootfs against a scratch target costs a few dozen stats, not ten thousand.
 */
import { isProtectedPath, isWithin, parentOf } from './container-path.js';

export type OsEntryType = 'dir' | 'file' | 'symlink' | 'hardlink' | 'other';

export interface OsEntry {
  /** Absolute and normalized ("/usr/bin/apt"). */
  path: string;
  type: OsEntryType;
  /** For a hard link: the absolute path of the entry it links to. */
  linkTarget?: string;
}

export type TargetKind = 'absent' | 'dir' | 'file' | 'symlink' | 'other';
export type TargetKnowledge = ReadonlyMap<string, TargetKind>;

export interface Conflict {
  path: string;
  /** What the OS needs there and what the target has ("the OS has a directory, the target a file"). */
  detail: string;
}

export interface OsPlan {
  /** Paths to write, in the order of the OS archive. */
  write: Set<string>;
  /** Topmost written paths (or implicitly created parents): each is removed whole on eject. */
  createdRoots: string[];
  /** Directories of the target that receive new entries. */
  existingDirs: string[];
  /** Entries left out because the target has its own file or link there. */
  kept: string[];
  conflicts: Conflict[];
  /** Entries never written: /dev, /proc, /sys and below. */
  protectedSkipped: number;
  /** Hard links whose target is not written (it is the target's own file, or was left out). */
  droppedHardlinks: string[];
}

/** Paths whose kind in the target must be known before `planOsInjection` can decide. */
export function pathsToProbe(entries: readonly OsEntry[], known: TargetKnowledge): string[] {
  const wanted = new Set<string>();
  for (const entry of entries) {
    if (isProtectedPath(entry.path) || entry.path === '/') continue;
    for (const step of steps(entry.path)) {
      const kind = known.get(step);
      if (kind === undefined) {
        wanted.add(step);
        break;
      }
      if (kind !== 'dir') break;
    }
  }
  return [...wanted];
}

type Verdict =
  | { kind: 'write'; createdRoot: string }
  | { kind: 'existing-dir' }
  | { kind: 'kept' }
  | { kind: 'conflict'; conflict: Conflict }
  | { kind: 'unknown'; path: string };

function evaluate(entry: OsEntry, known: TargetKnowledge): Verdict {
  const path = steps(entry.path);
  for (const [i, step] of path.entries()) {
    const kind = known.get(step);
    if (kind === undefined) return { kind: 'unknown', path: step };
    if (kind === 'absent') return { kind: 'write', createdRoot: step };
    const last = i === path.length - 1;
    const osWantsDir = !last || entry.type === 'dir';
    if (osWantsDir && kind !== 'dir') {
      return { kind: 'conflict', conflict: { path: step, detail: `the OS has a directory there, the target ${describe(kind)}` } };
    }
    if (last && !osWantsDir) {
      if (kind === 'dir') return { kind: 'conflict', conflict: { path: step, detail: `the OS has ${describeEntry(entry.type)} there, the target a directory` } };
      return { kind: 'kept' };
    }
  }
  return { kind: 'existing-dir' };
}

export function planOsInjection(entries: readonly OsEntry[], known: TargetKnowledge): OsPlan {
  const write = new Set<string>();
  const createdRoots = new Set<string>();
  const existingDirs = new Set<string>();
  const kept: string[] = [];
  const conflicts = new Map<string, Conflict>();
  const droppedHardlinks: string[] = [];
  let protectedSkipped = 0;

  for (const entry of entries) {
    if (entry.path === '/') continue;
    if (isProtectedPath(entry.path)) {
      protectedSkipped++;
      continue;
    }
    const verdict = evaluate(entry, known);
    switch (verdict.kind) {
      case 'unknown':
        throw new Error(`planOsInjection: ${verdict.path} was not probed`);
      case 'kept':
        kept.push(entry.path);
        break;
      case 'existing-dir':
        break;
      case 'conflict':
        if (!conflicts.has(verdict.conflict.path)) conflicts.set(verdict.conflict.path, verdict.conflict);
        break;
      case 'write':
        if (entry.type === 'hardlink' && (entry.linkTarget === undefined || !write.has(entry.linkTarget))) {
          // Linking to the target's own file (or to nothing) would alias what is not ours.
          droppedHardlinks.push(entry.path);
          break;
        }
        write.add(entry.path);
        createdRoots.add(verdict.createdRoot);
        existingDirs.add(parentOf(verdict.createdRoot));
        break;
    }
  }
  return {
    write,
    createdRoots: [...createdRoots].sort(),
    existingDirs: [...existingDirs].sort(),
    kept,
    conflicts: [...conflicts.values()].sort((a, b) => (a.path < b.path ? -1 : 1)),
    protectedSkipped,
    droppedHardlinks,
  };
}

/** Whether `path` lies under one of `roots` (used to attribute later additions to the injection). */
export function isUnderAny(path: string, roots: readonly string[]): boolean {
  return roots.some((root) => isWithin(path, root));
}

/** "/a/b/c" → ["/a", "/a/b", "/a/b/c"]. */
function steps(path: string): string[] {
  // Called for each of thousands of entries, several times: slices, not split and join.
  const result: string[] = [];
  let start = 0;
  while (start < path.length) {
    const slash = path.indexOf('/', start + 1);
    const end = slash < 0 ? path.length : slash;
    // An empty component ("//", a trailing "/") is no step of its own.
    if (end > start + 1) result.push(result.length === 0 ? path.slice(start, end) : `${result[result.length - 1]}${path.slice(start, end)}`);
    start = end;
  }
  return result;
}

function describe(kind: TargetKind): string {
  return kind === 'file' ? 'a file' : kind === 'symlink' ? 'a symbolic link' : kind === 'dir' ? 'a directory' : 'a special file';
}

function describeEntry(type: OsEntryType): string {
  return type === 'symlink' ? 'a symbolic link' : type === 'dir' ? 'a directory' : 'a file';
}

/**
 * A left-out path that would make the OS's package manager run the target's programs: dpkg
 * starts its maintainer scripts with `#!/bin/sh`, and when the OS's `/bin` (a link to usr/bin in
 * a merged-/usr Debian) is left out as a conflict, that is the target's own shell — a busybox
 * one runs its own `dpkg` applet before the OS's, and apt fails (status 100). Undefined when the
 * OS has no dpkg or its /bin is written.
 */
export function packageManagerShellLeftOut(entries: readonly OsEntry[], conflicts: readonly Conflict[]): string | undefined {
  if (!entries.some((entry) => entry.path === '/usr/bin/dpkg' || entry.path === '/bin/dpkg')) return undefined;
  return conflicts.find((conflict) => conflict.path === '/bin' || conflict.path === '/bin/sh')?.path;
}
