import type { DirEntry, EntryType } from '../debug/list-dir.js';
import { table, terminalSafe as s } from './terminal-safe.js';

const TYPE_LETTER: Record<EntryType, string> = {
  file: '-',
  hardlink: '-',
  directory: 'd',
  symlink: 'l',
  'char-device': 'c',
  'block-device': 'b',
  fifo: 'p',
  other: '?',
};

/** "drwxr-xr-x", with s/S, t/T for the special bits, as ls(1) writes it. */
export function modeString(type: EntryType, mode: number): string {
  const bit = (mask: number, letter: string): string => (mode & mask ? letter : '-');
  const special = (execute: boolean, set: boolean, letter: string): string => (set ? (execute ? letter : letter.toUpperCase()) : execute ? 'x' : '-');
  return (
    TYPE_LETTER[type] +
    bit(0o400, 'r') + bit(0o200, 'w') + special((mode & 0o100) !== 0, (mode & 0o4000) !== 0, 's') +
    bit(0o040, 'r') + bit(0o020, 'w') + special((mode & 0o010) !== 0, (mode & 0o2000) !== 0, 's') +
    bit(0o004, 'r') + bit(0o002, 'w') + special((mode & 0o001) !== 0, (mode & 0o1000) !== 0, 't')
  );
}

export function formatLs(entries: readonly DirEntry[]): string {
  const rows = entries.map((entry) => [
    modeString(entry.type, entry.mode),
    entry.uid === null ? '?' : String(entry.uid),
    entry.gid === null ? '?' : String(entry.gid),
    String(entry.size),
    entry.mtime === null ? '?' : entry.mtime.slice(0, 16).replace('T', ' '),
    `${s(entry.name)}${entry.type === 'symlink' && entry.linkTarget !== null ? ` -> ${s(entry.linkTarget)}` : ''}${entry.type === 'hardlink' && entry.linkTarget ? ` (hard link to ${s(entry.linkTarget.replace(/^\.\//, ''))})` : ''}`,
  ]);
  return rows.length === 0 ? '' : `${table(rows)}\n`;
}
