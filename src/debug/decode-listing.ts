/**
 * Turns the framed output of list-script.ts into directory listings. Pure. Names and link
 * targets are the target's bytes: they are matched against the names the script listed, never
 * split on a character a name could hold.
 */
import { type FramedDump, sectionBytes } from '../core/framed-dump.js';
import type { DirEntry, EntryType } from './list-dir.js';

export interface DecodedDirectory {
  /** The directory's path inside the target, symlinks resolved. */
  path: string;
  entries: DirEntry[];
}

export interface DecodedListing {
  directories: DecodedDirectory[];
  /** The path named no entry. */
  missing: boolean;
  /** Following the path's symlinks did not end. */
  loop: boolean;
  /** Directories the sidekick could not enter. */
  unreadable: string[];
  /** The path named one entry that is not a directory (or a symlink named without a trailing '/'). */
  single: boolean;
  /** The target's /etc/passwd and /etc/group lines, for names. */
  passwd: string;
  group: string;
}

const HEADER = /@([0-9a-f]+) (\d+) (\d+) (\d+) (-?\d+) (\d+) ([0-9a-f]+) ([0-9a-f]+) /y;

export function decodeListing(dump: FramedDump): DecodedListing {
  const ours = new Set((dump.values.get('ours') ?? []).filter((pid) => /^[1-9]\d*$/.test(pid)));
  const directories: DecodedDirectory[] = [];
  const unreadable: string[] = [];
  for (let k = 1; ; k += 1) {
    const refused = sectionBytes(dump, `u${k}`);
    if (refused !== undefined) {
      unreadable.push(refused.toString('utf8'));
      continue;
    }
    const names = sectionBytes(dump, `n${k}`);
    if (names === undefined) break;
    const [directory = '/', ...expected] = names.toString('latin1').split('\0').slice(0, -1);
    const stats = sectionBytes(dump, `s${k}`)?.toString('latin1') ?? '';
    let entries = parseStatRecords(stats, expected);
    const path = utf8(directory) || '/';
    // The sidekick's own processes are not the target's.
    if (path === '/proc') entries = entries.filter((entry) => !ours.has(entry.name));
    // In byte order with "." first, as ls does in the C locale.
    entries.sort((a, b) => (a.name === '.' ? -1 : b.name === '.' ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    directories.push({ path, entries });
  }
  return {
    directories,
    missing: dump.values.has('missing'),
    loop: dump.values.has('loop'),
    unreadable,
    single: dump.values.has('single'),
    passwd: (dump.values.get('passwd') ?? []).join('\n'),
    group: (dump.values.get('group') ?? []).join('\n'),
  };
}

/**
 * `stat -c STAT_FORMAT` records for the names given, in order (latin1 text, one char a byte).
 * A name whose record is missing (the entry went away between the listing and the stat) is
 * skipped. A symlink's record is "'NAME' -> 'TARGET'": its target ends at the "'\n" after
 * which the rest is empty or the next record.
 */
export function parseStatRecords(text: string, names: readonly string[]): DirEntry[] {
  const entries: DirEntry[] = [];
  let position = 0;
  for (const name of names) {
    HEADER.lastIndex = position;
    const header = HEADER.exec(text);
    if (header === null) continue;
    const rawMode = parseInt(header[1]!, 16);
    const type = typeOfMode(rawMode);
    let rest = header.index + header[0].length;
    let linkTarget: string | null = null;
    if (type === 'symlink') {
      const opening = `'${name}' -> '`;
      if (!text.startsWith(opening, rest)) continue;
      rest += opening.length;
      const end = endOfLinkTarget(text, rest);
      linkTarget = utf8(text.slice(rest, end));
      position = end + 2;
    } else {
      if (!text.startsWith(`${name}\n`, rest)) continue;
      position = rest + name.length + 1;
    }
    const major = parseInt(header[7]!, 16);
    const minor = parseInt(header[8]!, 16);
    entries.push({
      name: utf8(name),
      type,
      mode: rawMode & 0o7777,
      uid: Number(header[2]),
      gid: Number(header[3]),
      size: Number(header[4]),
      mtime: isoOrNull(Number(header[5])),
      linkTarget,
      links: Number(header[6]),
      ...(type === 'char-device' || type === 'block-device' ? { device: { major, minor } } : {}),
    });
  }
  return entries;
}

function endOfLinkTarget(text: string, from: number): number {
  let search = from;
  for (;;) {
    const end = text.indexOf("'\n", search);
    if (end < 0) return text.length;
    HEADER.lastIndex = end + 2;
    if (end + 2 === text.length || HEADER.test(text)) return end;
    search = end + 1;
  }
}

function typeOfMode(mode: number): EntryType {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'directory';
    case 0o120000:
      return 'symlink';
    case 0o020000:
      return 'char-device';
    case 0o060000:
      return 'block-device';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    default:
      return 'other';
  }
}

function isoOrNull(seconds: number): string | null {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function utf8(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}
