/**
 * The Docker engine's refusals of an upload, kept by the Kubernetes engine's putArchive so that
 * the capability has one contract (test/contract/engine-contract.ts, "archive"): an entry whose
 * name, symbolic link or hard link climbs out of the directory it is unpacked into is refused,
 * and nothing after it is written. Pure: it looks at names, never at a filesystem.
 *
 * This is not what keeps a write inside the target: the tar that unpacks runs with the target's
 * root as its own (archive-scripts.ts), so whatever it follows stays there. It keeps the
 * engines alike, e.g. a symlink `../../etc` into /x is refused on both.
 */
import path from 'node:path/posix';
import type { RawEntry } from '../../core/archive/tar-filter.js';

export class ArchiveBreakout extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveBreakout';
  }
}

/**
 * The check for an upload into `directory`: throws ArchiveBreakout for an entry that leaves it,
 * keeps every other entry. Joined as the Docker engine joins them (Go's filepath.Join, which
 * stops ".." at "/"): into "/" nothing climbs out, and an absolute link's text counts as below
 * the directory.
 */
export function breakoutCheck(directory: string): (entry: RawEntry) => true {
  const base = path.normalize(`/${directory}`).replace(/(.)\/+$/, '$1');
  const within = (joined: string): boolean => base === '/' || joined === base || joined.startsWith(`${base}/`);
  return (entry) => {
    const at = path.join(base, entry.name);
    if (!within(at)) throw new ArchiveBreakout(`${entry.name} is outside of ${base}`);
    if (entry.type === 'symlink' && !within(path.join(path.dirname(at), entry.linkname))) throw new ArchiveBreakout(`invalid symlink ${at} -> ${entry.linkname}`);
    if (entry.type === 'hardlink' && !within(path.join(base, entry.linkname))) throw new ArchiveBreakout(`invalid hardlink ${at} -> ${entry.linkname}`);
    return true;
  };
}
