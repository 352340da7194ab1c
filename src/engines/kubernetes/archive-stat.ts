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
