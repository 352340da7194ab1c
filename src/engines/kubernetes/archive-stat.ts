/**
 * Reads what the archive sidekick's `stat` operation prints (archive-scripts.ts) into the
 * engine-neutral ContainerPathStat. Pure. Everything in it was chosen by the target: the
 * numbers are checked, the link's texts kept as they are (they are only ever shown).
 */
import path from 'node:path/posix';
import type { ContainerPathKind, ContainerPathStat } from '../../core/path-stat.js';

const TYPE_MASK = 0o170000;
const KINDS: Record<number, ContainerPathKind> = { 0o100000: 'file', 0o040000: 'dir', 0o120000: 'symlink' };

/** Undefined for `absent`; throws on anything else it cannot read. */
export function parseArchiveStat(requested: string, output: Buffer): ContainerPathStat | undefined {
  const text = output.toString('utf8');
  const newline = text.indexOf('\n');
  const first = newline < 0 ? text : text.slice(0, newline);
  if (first === 'absent') return undefined;
  const match = /^stat ([0-9a-f]{1,8}) (\d{1,20}) (-?\d{1,20})$/.exec(first);
  if (match === null) throw new Error(`unexpected answer from the archive sidekick: ${JSON.stringify(first.slice(0, 80))}`);
  const rawMode = Number.parseInt(match[1]!, 16);
  const kind = KINDS[rawMode & TYPE_MASK] ?? 'other';
  let linkTarget = '';
  if (kind === 'symlink') {
    const [resolved = '', own = ''] = text.slice(newline + 1).split('\0').map((field) => field.replace(/\n$/, ''));
    linkTarget = resolved !== '' ? resolved : own === '' ? '' : lexicalTarget(requested, own);
  }
  return {
    name: nameOf(requested),
    size: Number(match[2]),
    kind,
    mode: rawMode & 0o7777,
    mtime: new Date(Number(match[3]) * 1000),
    linkTarget,
  };
}

/**
 * The records of a `stat` of several paths, one after another: a line each, and after a
 * symbolic link's line two NUL-ended texts (which may hold newlines). Throws when the output
 * does not hold `count` records.
 */
export function splitStatRecords(output: Buffer, count: number): Buffer[] {
  const records: Buffer[] = [];
  let offset = 0;
  while (records.length < count) {
    const newline = output.indexOf(0x0a, offset);
    if (newline < 0) throw new Error(`the archive sidekick answered ${records.length} of ${count} stats`);
    let end = newline + 1;
    const mode = /^stat ([0-9a-f]{1,8}) /.exec(output.subarray(offset, newline).toString('utf8'));
    if (mode !== null && (Number.parseInt(mode[1]!, 16) & TYPE_MASK) === 0o120000) {
      const first = output.indexOf(0, end);
      const second = first < 0 ? -1 : output.indexOf(0, first + 1);
      if (second < 0) throw new Error('the archive sidekick cut a link\'s stat short');
      end = second + 1;
    }
    records.push(output.subarray(offset, end));
    offset = end;
  }
  return records;
}

/** The name the Docker engine gives a path's stat: its last component ("/" for the root). */
function nameOf(requested: string): string {
  const trimmed = path.normalize(`/${requested}`).replace(/\/+$/, '');
  return trimmed === '' ? '/' : path.basename(trimmed);
}

/**
 * Where a link that leads nowhere (readlink -f has no answer) would lead inside the root: its
 * text, relative to its directory, with ".." stopping at "/", as the engine resolves in scope.
 */
function lexicalTarget(linkPath: string, own: string): string {
  const directory = path.dirname(path.normalize(`/${linkPath}`).replace(/\/+$/, '') || '/');
  return path.normalize(own.startsWith('/') ? own : `${directory}/${own}`);
}
