/**
 * What a local destination of `sidekick cp` really is, found without trusting symlinks that a
 * container could have planted (docs/RELIABILITY.md, "cp").
 *
 * A copy out of a container brings its symlinks to the host as they are; a second copy whose
 * destination passes through one of them would write wherever the container chose (the
 * two-step escape: `cp T:/ out`, then `cp T:/etc out/hostlink`). Nothing on disk tells such a
 * link from one the user made, so the rule is about where a link sits and where it leads:
 * a symlink on the way to the destination is followed only when
 *   - the directory holding it belongs to someone else and the user cannot write to it (links
 *     of the system such as /var/run or /tmp on macOS, which no copy of ours could have made), or
 *   - it leads (fully resolved) to a place inside the directory holding it.
 * Any other symlink is refused, with where it points, so that the user can name the real path.
 * Running as root, the first case never applies: root can write everywhere.
 */
import { constants as fsConstants, promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { SidekickError } from '../../core/errors.js';

export type LocalDestination =
  /** Nothing there yet; its parent is a real directory. */
  | { kind: 'missing'; path: string }
  | { kind: 'directory'; path: string }
  | { kind: 'file'; path: string }
  /** A character device or FIFO: written through, never replaced (`/dev/null`). */
  | { kind: 'stream'; path: string; what: string };

/**
 * Resolves `destination` (as typed) to a path with no symlink left in it, following only the
 * symlinks the module comment allows. A trailing "/" requires an existing directory.
 */
export async function resolveLocalDestination(destination: string): Promise<LocalDestination> {
  if (destination === '') throw new SidekickError('BAD_USAGE', 'the destination is empty.', { hint: 'Name a local path, or "-" for a tar on stdout.' });
  const absolute = path.resolve(destination);
  const components = absolute.split(path.sep).filter((part) => part !== '');
  let current = path.parse(absolute).root;
  let shown = current;
  for (const [index, component] of components.entries()) {
    const last = index === components.length - 1;
    const next = path.join(current, component);
    shown = path.join(shown, component);
    let stat = await lstatIfExists(next);
    if (stat === undefined) {
      if (!last) throw new SidekickError('PATH_NOT_FOUND', `${shown} does not exist.`, { hint: 'Create the directory first.' });
      if (endsWithSeparator(destination)) {
        throw new SidekickError('PATH_NOT_FOUND', `${destination} is not an existing directory.`, { hint: 'Create it first, or drop the trailing "/" to copy under that name.' });
      }
      return { kind: 'missing', path: next };
    }
    let real = next;
    if (stat.isSymbolicLink()) {
      real = await followableTarget(next, current, shown);
      stat = await fs.stat(real);
    }
    if (!last) {
      if (!stat.isDirectory()) throw new SidekickError('PATH_NOT_FOUND', `${shown} is ${describeKind(stat)}, not a directory.`, { hint: 'Name a path whose parents are directories.' });
      current = real;
      continue;
    }
    return classify(real, stat, destination);
  }
  // The root itself.
  return { kind: 'directory', path: current };
}

/** What sits at a path below a directory the copy writes into: symlinks there are names to replace, never followed. */
export async function lstatIfExists(file: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function describeKind(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFile()) return 'a regular file';
  if (stat.isSymbolicLink()) return 'a symlink';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isSocket()) return 'a socket';
  return 'a special file';
}

function classify(real: string, stat: Stats, typed: string): LocalDestination {
  if (stat.isDirectory()) return { kind: 'directory', path: real };
  if (endsWithSeparator(typed)) {
    throw new SidekickError('PATH_NOT_FOUND', `${typed} is ${describeKind(stat)}, not a directory.`, { hint: 'Drop the trailing "/" to copy under that name.' });
  }
  if (stat.isFile()) return { kind: 'file', path: real };
  if (stat.isCharacterDevice() || stat.isFIFO()) return { kind: 'stream', path: real, what: describeKind(stat) };
  throw new SidekickError('BAD_USAGE', `${typed} is ${describeKind(stat)}; sidekick cp writes only to directories, regular files, character devices and FIFOs.`, {
    hint: 'Choose another destination, or "-" for a tar on stdout.',
  });
}

/** The fully resolved target of the symlink `link` in the real directory `parent`, if the rule lets it be followed. */
async function followableTarget(link: string, parent: string, shown: string): Promise<string> {
  const pointsTo = await fs.readlink(link);
  let resolved: string;
  try {
    resolved = await fs.realpath(link);
  } catch {
    throw new SidekickError('PATH_NOT_FOUND', `${shown} is a symlink to ${pointsTo}, which does not exist.`, {
      hint: 'sidekick cp does not create files through dangling symlinks; name the real path.',
    });
  }
  if (resolved === parent || resolved.startsWith(parent.endsWith(path.sep) ? parent : `${parent}${path.sep}`)) return resolved;
  if (await isSystemDirectory(parent)) return resolved;
  throw new SidekickError('BAD_USAGE', `refusing to write through the symlink ${shown} (-> ${pointsTo}): it leads out of ${parent}, and a copy from a container could have made it.`, {
    hint: `If that is where you mean to write, name the real path: ${resolved}`,
  });
}

/** A directory that belongs to someone else and that the user cannot write: no copy of theirs made links in it. */
async function isSystemDirectory(directory: string): Promise<boolean> {
  const stat = await fs.lstat(directory);
  if (stat.uid === process.geteuid?.()) return false;
  try {
    await fs.access(directory, fsConstants.W_OK);
    return false;
  } catch {
    return true;
  }
}

function endsWithSeparator(typed: string): boolean {
  return typed.endsWith('/') || typed.endsWith(`${path.sep}.`) || typed === '.';
}
