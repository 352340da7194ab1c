/**
 * How the Kubernetes engine's archive honours `noOverwriteDirNonDir` (docs/ARCHITECTURE.md,
 * "The archive through an ephemeral sidekick"). Pure: it looks at names, never at a filesystem.
 *
 * busybox's tar, which unpacks for the pod archive, refuses a file over a directory (it cannot
 * unlink the directory) but takes a directory entry over anything: a symbolic link the target
 * put at that name is kept and what follows is written through it. The Docker engine refuses
 * that. So an upload with the option is cut into segments, each unpacked by a tar of its own
 * whose working directory is pinned first: entered with `cd -P` and checked with `pwd -P` to be
 * where it should be, with no link on the way. A segment's entries are plain names in that
 * directory, so nothing in them walks a path the target could have swapped. A directory entry
 * starts a segment and is checked before its tar runs (absent, or a directory that is not a
 * link); the entries below it come in the next segment, pinned in it.
 */
import path from 'node:path/posix';

export interface PinnedPlacement {
  /** The entry's directory, relative to the upload's directory ('' for that directory itself). */
  directory: string;
  /** The entry's own name in it. */
  name: string;
  isDirectory: boolean;
  /** A hard link's target, a name in the same directory. */
  linkName?: string;
}

export interface PinnedEntry {
  name: string;
  type: string;
  linkname?: string | null;
}

/** Thrown for an entry this way of unpacking cannot place: a hard link to another directory. */
export class UnpinnableEntry extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnpinnableEntry';
  }
}

/** Where an entry goes; undefined for the upload's directory itself (it exists: nothing to write). */
export function placeEntry(entry: PinnedEntry): PinnedPlacement | undefined {
  const relative = clean(entry.name);
  if (relative === '') return undefined;
  const slash = relative.lastIndexOf('/');
  const directory = slash < 0 ? '' : relative.slice(0, slash);
  const name = relative.slice(slash + 1);
  const placement: PinnedPlacement = { directory, name, isDirectory: entry.type === 'directory' };
  if (entry.type === 'link') {
    const target = clean(entry.linkname ?? '');
    const targetSlash = target.lastIndexOf('/');
    if ((targetSlash < 0 ? '' : target.slice(0, targetSlash)) !== directory || target === '') {
      throw new UnpinnableEntry(`the hard link ${entry.name} leads to ${entry.linkname ?? ''}, in another directory, which this engine cannot unpack without following paths of the target`);
    }
    placement.linkName = target.slice(targetSlash + 1);
  }
  return placement;
}

/** A segment: the entries unpacked by one tar, in one pinned directory, after one check. */
export interface PinnedSegment {
  directory: string;
  /** A directory entry's name, checked to be absent or a directory that is not a link. */
  checked: string;
}

/** The segment an entry needs: the open one, when it can take it; undefined otherwise. */
export function segmentFor(open: PinnedSegment | undefined, placement: PinnedPlacement): PinnedSegment | undefined {
  if (open !== undefined && !placement.isDirectory && open.directory === placement.directory) return open;
  return undefined;
}

export function newSegment(placement: PinnedPlacement): PinnedSegment {
  return { directory: placement.directory, checked: placement.isDirectory ? placement.name : '' };
}

/** Relative and normalised, as the engine joins an entry to the directory ("/" stops ".."). */
function clean(name: string): string {
  return path.join('/', name).slice(1).replace(/\/+$/, '');
}
