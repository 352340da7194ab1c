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

/** Throws ArchiveBreakout for an entry that leaves the directory; true otherwise (every entry is kept). */
export function checkBreakout(entry: RawEntry): true {
  const at = path.join(BASE, entry.name);
  if (!within(at)) throw new ArchiveBreakout(`${entry.name} is outside of the directory it is unpacked into`);
  // As the Docker engine joins them: an absolute link's text is taken below the directory too.
  if (entry.type === 'symlink' && !within(path.join(path.dirname(at), entry.linkname))) throw new ArchiveBreakout(`invalid symlink ${entry.name} -> ${entry.linkname}`);
  if (entry.type === 'hardlink' && !within(path.join(BASE, entry.linkname))) throw new ArchiveBreakout(`invalid hardlink ${entry.name} -> ${entry.linkname}`);
  return true;
}

/** The directory unpacked into, as a stand-in path the checks join names to. */
const BASE = '/unpack-directory';

function within(joined: string): boolean {
  return joined === BASE || joined.startsWith(`${BASE}/`);
}
