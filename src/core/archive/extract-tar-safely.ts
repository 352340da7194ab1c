/**
 * Extraction of a tar stream that comes out of an untrusted container (docs/ARCHITECTURE.md, "The target's files").
 *
 * The stream is hostile: every name, link target, mode and size in it was chosen by whoever
 * controls the container. The guarantees:
 *
 * - Nothing is created, changed or deleted outside `destination`. Names that are absolute,
 *   contain a ".." component or a NUL byte are refused. Every parent directory of an entry is
 *   checked with lstat, component by component, so a symlink anywhere on the way (one already
 *   in `destination`, or one the same stream created a moment ago) is refused, not followed.
 * - The last component is never followed either. What already sits there, if it is not a
 *   directory (a file, a symlink, a hard link to something elsewhere), is unlinked and the new
 *   entry is created in its place with O_CREAT|O_EXCL|O_NOFOLLOW. Replacing rather than refusing
 *   is what tar and `docker cp` do, so copying the same path twice works; unlinking removes the
 *   name only, so the old symlink's target and the other names of a hard-linked inode are never
 *   touched. A directory is never replaced by a non-directory: that would mean deleting a tree.
 *   A directory entry over an existing non-directory replaces it (GNU tar's default).
 * - Symlinks are created as symlinks with their target stored verbatim; they may point
 *   anywhere, because nothing here ever resolves them.
 * - A hard link may only point at a regular file this same stream extracted earlier, which is
 *   all an honest archive needs and rules out linking to anything pre-existing or outside.
 * - Device nodes, fifos and unknown entry types are skipped and counted, never created.
 *
 * The first unsafe entry stops the extraction with an UnsafeArchiveError before anything is
 * written for it, and the input stream is destroyed. Entries extracted before it stay where
 * they are; directories created so far keep their provisional mode (0700) and mtime, since
 * finishing them would mean acting on an archive already known to be hostile. A file whose
 * body could not be read completely (truncated stream) is removed rather than left half-written.
 *
 * Threat model: the stream, not a concurrent local process. The checks are lstat-then-act,
 * which is sound as long as nothing else rearranges `destination` while it runs.
 */
import { constants as fsConstants, promises as fs, type Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { extract as tarExtract, type Extract, type Header } from 'tar-stream';
import { parseEntryPath } from './entry-path.js';
import { UnsafeArchiveError } from './unsafe-archive-error.js';

export interface ExtractTarOptions {
  /** Drop the first path component of every name (and hard link target), like `tar --strip-components=1`. */
  stripFirstComponent?: boolean;
  /**
   * Give entries the archive's uid/gid and keep setuid/setgid bits. Honoured only when running
   * as root: nobody else can chown, and a setuid bit on a file owned by whoever extracted it
   * is never what the container meant.
   */
  preserveOwner?: boolean;
}

export interface ExtractSummary {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  /** Device nodes, fifos and entries of unknown type, which are never created. */
  skipped: number;
  /** Bytes of file content written. */
  bytes: number;
}

/** Extracts `tar` into the existing directory `destination`; see the module comment for the guarantees. */
export async function extractTarSafely(
  tar: NodeJS.ReadableStream,
  destination: string,
  options: ExtractTarOptions = {},
): Promise<ExtractSummary> {
  // Wired up before the first await: an error the source emits meanwhile must reach us, not crash the process.
  const extract = tarExtract();
  const entries = extract[Symbol.asyncIterator]();
  tar.on('error', (error: Error) => extract.destroy(error));
  try {
    const root = path.resolve(destination);
    // The destination itself is the caller's choice and trusted, so a symlink to a directory is fine here.
    const rootStat = await fs.stat(root);
    if (!rootStat.isDirectory()) throw new Error(`cannot extract into ${root}: not a directory`);
    const extraction = new Extraction(root, options);
    // tar-stream's extract is a streamx Writable, which Node's pipe drives through write/end/drain alone.
    tar.pipe(extract as unknown as NodeJS.WritableStream);
    for (;;) {
      const next = await entries.next();
      if (next.done) break;
      await extraction.add(next.value);
    }
    await extraction.finishDirectories();
    return extraction.summary;
  } catch (error) {
    tar.unpipe(extract as unknown as NodeJS.WritableStream);
    await entries.return?.();
    // Stop pulling from the engine: the rest of a hostile stream is not worth reading.
    const destroy = (tar as { destroy?: (error?: Error) => void }).destroy;
    if (typeof destroy === 'function') destroy.call(tar);
    throw error;
  }
}

type WrittenKind = 'file' | 'symlink';
/** tar-stream does not export its entry type by name. */
type Entry = Extract extends AsyncIterable<infer T> ? T : never;
/**
 * tar-stream's declared header promises every field, but a hostile stream can leave any of them
 * out or make them garbage; the code treats them all as possibly missing.
 */
type Headers = { [K in keyof Header]?: Header[K] | null } & { name: string };

interface PendingDirectory {
  mode: number;
  mtime: Date | undefined;
  uid: number | null | undefined;
  gid: number | null | undefined;
}

const CREATE_FILE_FLAGS =
  fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW;
const OPEN_DIRECTORY_FLAGS = fsConstants.O_RDONLY | fsConstants.O_DIRECTORY | fsConstants.O_NOFOLLOW;

class Extraction {
  readonly summary: ExtractSummary = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, skipped: 0, bytes: 0 };
  /**
   * Relative paths verified (or made) to be real directories. Sound to cache because this
   * extraction never turns a directory into anything else: it refuses to replace directories.
   */
  private readonly knownDirectories = new Set<string>();
  /** What this stream wrote at each relative path, so hard links can only target its own files. */
  private readonly written = new Map<string, WrittenKind>();
  /** Directory metadata is applied last: a read-only mode would block the children, and every child written would bump the mtime. */
  private readonly pendingDirectories = new Map<string, PendingDirectory>();
  private readonly strip: boolean;
  private readonly keepOwner: boolean;
  private readonly modeMask: number;

  constructor(
    private readonly root: string,
    options: ExtractTarOptions,
  ) {
    this.strip = options.stripFirstComponent ?? false;
    this.keepOwner = (options.preserveOwner ?? false) && process.getuid?.() === 0;
    this.modeMask = this.keepOwner ? 0o7777 : 0o1777;
  }

  async add(entry: Entry): Promise<void> {
    const header: Headers = entry.header;
    const name = header.name;
    const parsed = parseEntryPath(name, this.strip);
    if (!parsed.ok) throw new UnsafeArchiveError(name, `the name ${parsed.reason}`);
    const components = parsed.components;

    switch (header.type) {
      case 'directory':
        // Not awaited: a directory "body" is never delivered by tar-stream, so waiting would hang.
        entry.resume();
        return this.addDirectory(name, components, header);
      case 'file':
      case 'contiguous-file':
        return this.addFile(entry, name, components, header);
      case 'symlink':
        entry.resume();
        return this.addSymlink(name, components, header);
      case 'link':
        entry.resume();
        return this.addHardLink(name, components, header);
      default:
        entry.resume();
        this.summary.skipped += 1;
        return;
    }
  }

  async finishDirectories(): Promise<void> {
    // Deepest first, so a parent that becomes unsearchable (mode 0) does not lock us out of its children.
    const ordered = [...this.pendingDirectories].sort(([a], [b]) => depth(b) - depth(a));
    for (const [relative, pending] of ordered) {
      const handle = await fs.open(this.absolute(relative), OPEN_DIRECTORY_FLAGS);
      try {
        await this.applyMetadata(handle, pending);
      } finally {
        await handle.close();
      }
    }
  }

  private async addDirectory(name: string, components: string[], header: Headers): Promise<void> {
    // The destination itself: its mode and times are the user's, not the archive's.
    if (components.length === 0) return;
    const relative = components.join('/');
    await this.ensureParents(name, components);
    const occupant = await this.clearSlot(name, relative, true);
    // 0700 until the end: we must be able to write the children whatever the archive says.
    if (occupant === 'empty') await fs.mkdir(this.absolute(relative), { mode: 0o700 });
    this.knownDirectories.add(relative);
    this.pendingDirectories.set(relative, {
      mode: (header.mode ?? 0o755) & this.modeMask,
      mtime: entryMtime(header),
      uid: header.uid,
      gid: header.gid,
    });
    this.summary.dirs += 1;
  }

  private async addFile(entry: Entry, name: string, components: string[], header: Headers): Promise<void> {
    if (components.length === 0) throw new UnsafeArchiveError(name, 'a file cannot replace the destination directory');
    const relative = components.join('/');
    await this.ensureParents(name, components);
    await this.clearSlot(name, relative, false);
    const absolute = this.absolute(relative);
    // O_EXCL already refuses any existing name, dangling symlinks included; O_NOFOLLOW says the intent.
    const handle = await fs.open(absolute, CREATE_FILE_FLAGS, 0o600);
    let complete = false;
    try {
      for await (const chunk of entry as AsyncIterable<Buffer>) {
        await writeAll(handle, chunk);
        this.summary.bytes += chunk.length;
      }
      complete = true;
      await this.applyMetadata(handle, {
        mode: (header.mode ?? 0o644) & this.modeMask,
        mtime: entryMtime(header),
        uid: header.uid,
        gid: header.gid,
      });
    } finally {
      await handle.close();
      if (!complete) await fs.unlink(absolute).catch(() => undefined);
    }
    this.written.set(relative, 'file');
    this.summary.files += 1;
  }

  private async addSymlink(name: string, components: string[], header: Headers): Promise<void> {
    if (components.length === 0) throw new UnsafeArchiveError(name, 'a symlink cannot replace the destination directory');
    const target = header.linkname ?? '';
    if (target === '') throw new UnsafeArchiveError(name, 'the symlink has an empty target');
    if (target.includes('\0')) throw new UnsafeArchiveError(name, 'the symlink target contains a NUL byte');
    const relative = components.join('/');
    await this.ensureParents(name, components);
    await this.clearSlot(name, relative, false);
    const absolute = this.absolute(relative);
    await fs.symlink(target, absolute);
    // l-variants only: the target is the container's path, not ours to touch.
    if (this.keepOwner && isId(header.uid) && isId(header.gid)) await fs.lchown(absolute, header.uid, header.gid);
    const mtime = entryMtime(header);
    if (mtime) await fs.lutimes(absolute, mtime, mtime);
    this.written.set(relative, 'symlink');
    this.summary.symlinks += 1;
  }

  private async addHardLink(name: string, components: string[], header: Headers): Promise<void> {
    if (components.length === 0) throw new UnsafeArchiveError(name, 'a hard link cannot replace the destination directory');
    const linkname = header.linkname ?? '';
    const parsedTarget = parseEntryPath(linkname, this.strip);
    if (!parsedTarget.ok) throw new UnsafeArchiveError(name, `the hard link target ${parsedTarget.reason}`);
    const targetRelative = parsedTarget.components.join('/');
    const relative = components.join('/');
    if (targetRelative === relative) throw new UnsafeArchiveError(name, 'the hard link points at itself');
    if (this.written.get(targetRelative) !== 'file') {
      throw new UnsafeArchiveError(
        name,
        `the hard link target ${JSON.stringify(linkname)} is not a file extracted earlier from this archive`,
      );
    }
    // Belt and braces: the target was verified when written and directories cannot change since.
    await this.ensureParents(name, parsedTarget.components);
    const targetStat = await lstatIfExists(this.absolute(targetRelative));
    if (!targetStat?.isFile()) {
      throw new UnsafeArchiveError(name, `the hard link target ${JSON.stringify(linkname)} is no longer a regular file`);
    }
    await this.ensureParents(name, components);
    await this.clearSlot(name, relative, false);
    // link(2) does not follow a symlink in its first argument, and the target is a regular file anyway.
    await fs.link(this.absolute(targetRelative), this.absolute(relative));
    this.written.set(relative, 'file');
    this.summary.hardlinks += 1;
  }

  /** Makes every parent of `components` a real directory, refusing symlinks and non-directories on the way. */
  private async ensureParents(name: string, components: string[]): Promise<void> {
    let relative = '';
    for (const component of components.slice(0, -1)) {
      relative = relative === '' ? component : `${relative}/${component}`;
      if (this.knownDirectories.has(relative)) continue;
      const stat = await lstatIfExists(this.absolute(relative));
      if (stat === undefined) {
        await fs.mkdir(this.absolute(relative));
      } else if (stat.isSymbolicLink()) {
        throw new UnsafeArchiveError(name, `its parent ${JSON.stringify(relative)} is a symlink`);
      } else if (!stat.isDirectory()) {
        throw new UnsafeArchiveError(name, `its parent ${JSON.stringify(relative)} is not a directory`);
      }
      this.knownDirectories.add(relative);
    }
  }

  /**
   * Empties the last component for a new entry. Returns 'directory' when a directory already
   * there can be reused (only for directory entries).
   */
  private async clearSlot(name: string, relative: string, forDirectory: boolean): Promise<'empty' | 'directory'> {
    const absolute = this.absolute(relative);
    const stat = await lstatIfExists(absolute);
    if (stat === undefined) return 'empty';
    if (stat.isDirectory()) {
      if (forDirectory) return 'directory';
      throw new UnsafeArchiveError(name, `a directory already exists at ${JSON.stringify(relative)}; refusing to delete it`);
    }
    // unlink(2) removes the name only: a symlink's target and a hard link's other names stay as they are.
    await fs.unlink(absolute);
    this.written.delete(relative);
    return 'empty';
  }

  private async applyMetadata(handle: FileHandle, metadata: PendingDirectory): Promise<void> {
    // chown before chmod: chown clears setuid/setgid, which root may have been asked to keep.
    if (this.keepOwner && isId(metadata.uid) && isId(metadata.gid)) await handle.chown(metadata.uid, metadata.gid);
    await handle.chmod(metadata.mode);
    if (metadata.mtime) await handle.utimes(metadata.mtime, metadata.mtime);
  }

  private absolute(relative: string): string {
    // Components hold no "/", "." or "..", so joining cannot leave the root.
    return path.join(this.root, relative);
  }
}

/** PAX mtimes keep sub-second precision; the ustar field has whole seconds. Garbage yields no mtime at all. */
function entryMtime(header: Headers): Date | undefined {
  const pax = header.pax as Record<string, unknown> | null | undefined;
  const paxMtime = pax?.mtime;
  if (typeof paxMtime === 'string' && /^-?\d+(\.\d+)?$/.test(paxMtime)) {
    const date = new Date(Number(paxMtime) * 1000);
    if (Number.isFinite(date.getTime())) return date;
  }
  const mtime = header.mtime;
  return mtime && Number.isFinite(mtime.getTime()) ? mtime : undefined;
}

async function lstatIfExists(absolute: string): Promise<Stats | undefined> {
  try {
    return await fs.lstat(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function writeAll(handle: FileHandle, chunk: Buffer): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.length - offset);
    offset += bytesWritten;
  }
}

function isId(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function depth(relative: string): number {
  return relative.split('/').length;
}
