/**
 * Decides what `eject` removes after an OS injection (docs/RELIABILITY.md, "inject and eject").
 * Only paths with a record of being ours go: what the injection wrote (listed in its
 * manifest), what the package manager recorded as its own (dpkg's file lists, apk's database),
 * the package manager's own state directories when the injection brought that package manager,
 * and the files it makes from those (`*.dpkg-new`, `*.apk-new`, …). Everything else that
 * appeared since the injection is the application's: kept and listed, and so is every
 * directory of ours that now holds some of it. A name that merely occurs in a maintainer script
 * is no record: matching text that way once removed an application's /cache and /opt.
 */
import { isWithin } from './container-path.js';

/** Files a package manager makes next to one of its own when it installs or upgrades it. */
export const DERIVED_SUFFIXES = ['.dpkg-new', '.dpkg-old', '.dpkg-dist', '.dpkg-tmp', '.dpkg-bak', '.apk-new'] as const;

/**
 * Per package manager: the database whose presence among the written paths says the injection
 * brought it, and the paths that are its own bookkeeping (caches, logs, indexes it made itself).
 */
const PACKAGE_MANAGER_STATE: ReadonlyArray<{ database: string; state: readonly string[] }> = [
  {
    database: '/var/lib/dpkg',
    state: ['/var/lib/dpkg', '/var/lib/apt', '/var/cache/apt', '/var/cache/debconf', '/var/cache/ldconfig', '/var/log/apt', '/var/log/dpkg.log', '/var/log/alternatives.log', '/etc/ld.so.cache'],
  },
  { database: '/lib/apk', state: ['/lib/apk', '/var/cache/apk', '/etc/apk'] },
];

export interface OsEjectInput {
  /** Paths the engine's diff reports as added now. */
  added: readonly string[];
  /** Added before the injection: never ours. */
  baselineAdded: readonly string[];
  /** Every path the injection wrote; undefined for a manifest from before it was recorded (then all under createdRoots counts). */
  written: readonly string[] | undefined;
  createdRoots: readonly string[];
  /** Paths the package manager's records name as a package's. */
  packageManagerOwned: ReadonlySet<string>;
  /** Handled elsewhere (the toolbox prefix, the manifest itself). */
  exclude: readonly string[];
}

export interface OsEjectPlan {
  /**
   * Ours, each to be removed with everything below it: the topmost paths of ours that hold
   * nothing kept (every added path below them is ours too). Sorted.
   */
  remove: string[];
  /** Not ours: the topmost of each added subtree (it stands for what is below). */
  kept: string[];
  /** Directories of ours kept because they now hold kept paths. */
  holders: string[];
  /** Every added path that is not ours (kept), sorted. */
  others: string[];
}

export function planOsEject(input: OsEjectInput): OsEjectPlan {
  const baseline = new Set(input.baselineAdded);
  const written = input.written === undefined ? undefined : new Set(input.written);
  const wroteIt = (path: string): boolean => (written === undefined ? input.createdRoots.some((root) => isWithin(path, root)) : written.has(path));
  const stateRoots = PACKAGE_MANAGER_STATE.filter((pm) => wroteIt(pm.database)).flatMap((pm) => pm.state);
  const recorded = (path: string): boolean => wroteIt(path) || input.packageManagerOwned.has(path) || stateRoots.some((root) => isWithin(path, root));
  const ours = (path: string): boolean => {
    if (recorded(path)) return true;
    const suffix = DERIVED_SUFFIXES.find((s) => path.endsWith(s) && path.length > s.length + 1);
    return suffix !== undefined && recorded(path.slice(0, -suffix.length));
  };

  const candidates = [...new Set(input.added)].filter((path) => !baseline.has(path) && !input.exclude.some((root) => isWithin(path, root)));
  const mine: string[] = [];
  const notMine: string[] = [];
  for (const path of candidates) (ours(path) ? mine : notMine).push(path);

  const keptSet = new Set(notMine);
  // Every ancestor of a kept path must stay, ours or not.
  const holding = new Set<string>();
  for (const path of notMine) for (const ancestor of ancestorsOf(path)) holding.add(ancestor);
  const whole = new Set(mine.filter((path) => !holding.has(path)));
  const remove = [...whole].filter((path) => !ancestorsOf(path).some((ancestor) => whole.has(ancestor))).sort();
  const holders = mine.filter((path) => holding.has(path)).sort();
  const kept = [...keptSet].filter((path) => !ancestorsOf(path).some((ancestor) => keptSet.has(ancestor))).sort();
  return { remove, kept, holders, others: [...notMine].sort() };
}

/** The paths dpkg's `*.list` files name ("/." is the root, never ours). */
export function parseDpkgList(text: string): string[] {
  return text.split('\n').filter((line) => line.startsWith('/') && line !== '/.' && line !== '/' && !line.includes('\0'));
}

/** The paths apk's database (`/lib/apk/db/installed`) names: each `F:` directory and the `R:` files in it. */
export function parseApkInstalled(text: string): string[] {
  const paths: string[] = [];
  let dir: string | undefined;
  for (const line of text.split('\n')) {
    if (line === '') dir = undefined;
    else if (line.startsWith('F:')) {
      dir = `/${line.slice(2).replace(/^\/+|\/+$/g, '')}`;
      if (dir !== '/') paths.push(dir);
    } else if (line.startsWith('R:') && dir !== undefined && line.length > 2 && !line.includes('/', 2)) {
      paths.push(dir === '/' ? `/${line.slice(2)}` : `${dir}/${line.slice(2)}`);
    }
  }
  return paths;
}

function ancestorsOf(path: string): string[] {
  const result: string[] = [];
  for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) result.push(path.slice(0, i));
  return result;
}
