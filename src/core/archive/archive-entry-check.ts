/**
 * Checks, entry by entry and without touching any filesystem, a tar that is to be unpacked by
 * the engine into a container (`sidekick cp - T:/dir < x.tar`). The engine follows symlinks
 * while it unpacks, inside the container's root: an archive that makes `a -> /etc` and then
 * writes `a/passwd` would change the container's /etc/passwd, outside the directory named.
 * The rules are those extractTarSafely applies on the host:
 *
 * - a name must be relative, without "..", empty or NUL;
 * - no entry may go below a path this archive made a symlink, file or hard link, nor may a
 *   directory take the place of one;
 * - a hard link may only point at a regular file this archive stored earlier;
 * - device nodes, FIFOs and entries of unknown type are left out (skipped, counted), never made;
 * - GNU sparse files are refused: their pax records rename them in ways this check cannot follow.
 *
 * What is already in the directory is not this module's concern: the archive is unpacked into
 * a fresh staging directory and moved into place without following links.
 */
import { parseEntryPath } from './entry-path.js';
import type { RawEntry, RawEntryType } from './tar-filter.js';
import { UnsafeArchiveError } from './unsafe-archive-error.js';

export class ArchiveEntryCheck {
  /** What this archive made at each relative path. */
  private readonly made = new Map<string, RawEntryType>();
  skipped = 0;

  /** True to keep the entry, false to leave it out; throws UnsafeArchiveError to refuse the archive. */
  check(entry: RawEntry): boolean {
    const { name } = entry;
    if (entry.gnuSparse) throw new UnsafeArchiveError(name, 'GNU sparse files are not supported');
    const parsed = parseEntryPath(name);
    if (!parsed.ok) throw new UnsafeArchiveError(name, `the name ${parsed.reason}`);
    const components = parsed.components;
    if (components.length === 0) {
      if (entry.type === 'directory') return true;
      throw new UnsafeArchiveError(name, 'only a directory can stand for the destination itself');
    }
    let prefix = '';
    for (const component of components.slice(0, -1)) {
      prefix = prefix === '' ? component : `${prefix}/${component}`;
      const kind = this.made.get(prefix);
      if (kind !== undefined && kind !== 'directory') throw new UnsafeArchiveError(name, `its parent ${JSON.stringify(prefix)} is a ${describe(kind)} made by this archive`);
    }
    const relative = components.join('/');
    switch (entry.type) {
      case 'directory': {
        const before = this.made.get(relative);
        if (before !== undefined && before !== 'directory') throw new UnsafeArchiveError(name, `a directory would replace the ${describe(before)} this archive made there`);
        break;
      }
      case 'symlink':
        if (entry.linkname === '') throw new UnsafeArchiveError(name, 'the symlink has an empty target');
        if (entry.linkname.includes('\0')) throw new UnsafeArchiveError(name, 'the symlink target contains a NUL byte');
        break;
      case 'hardlink': {
        const target = parseEntryPath(entry.linkname);
        if (!target.ok) throw new UnsafeArchiveError(name, `the hard link target ${target.reason}`);
        if (this.made.get(target.components.join('/')) !== 'file') {
          throw new UnsafeArchiveError(name, `the hard link target ${JSON.stringify(entry.linkname)} is not a file stored earlier in this archive`);
        }
        break;
      }
      case 'file':
        break;
      default:
        this.skipped += 1;
        return false;
    }
    // A hard link is a file as far as later entries are concerned.
    this.made.set(relative, entry.type === 'hardlink' ? 'file' : entry.type);
    return true;
  }
}

function describe(kind: RawEntryType): string {
  return kind === 'symlink' ? 'symlink' : kind === 'directory' ? 'directory' : 'file';
}
