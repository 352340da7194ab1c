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
  socket: 's',
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

export interface LsFormat {
  /** Sizes as 4.0K, 1.5M, as `ls -h` writes them. */
  human?: boolean;
}

/** "1.5M", "999", "12K": one decimal below 10, as `ls -h` does (rounded up). */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return String(bytes);
  const units = ['K', 'M', 'G', 'T', 'P', 'E'];
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const shown = value < 10 ? Math.ceil(value * 10) / 10 : Math.ceil(value);
  if (shown >= 1024 && unit < units.length - 1) return `1.0${units[unit + 1]}`;
  return `${value < 10 ? shown.toFixed(1) : String(shown)}${units[unit]}`;
}

function sizeCell(entry: DirEntry, format: LsFormat): string {
  if (entry.device) return `${entry.device.major}, ${entry.device.minor}`;
  return format.human ? humanSize(entry.size) : String(entry.size);
}

/** `ls -R`: each directory under a "PATH:" line, a blank line between them. */
export function formatLsDirectories(directories: ReadonlyArray<{ path: string; entries: readonly DirEntry[] }>, format: LsFormat = {}): string {
  return directories.map((directory) => `${s(directory.path)}:\n${formatLs(directory.entries, format)}`).join('\n');
}

export function formatLs(entries: readonly DirEntry[], format: LsFormat = {}): string {
  const rows = entries.map((entry) => [
    modeString(entry.type, entry.mode),
    ...(entry.links === undefined ? [] : [String(entry.links)]),
    entry.user !== undefined ? s(entry.user) : entry.uid === null ? '?' : String(entry.uid),
    entry.group !== undefined ? s(entry.group) : entry.gid === null ? '?' : String(entry.gid),
    sizeCell(entry, format),
    entry.mtime === null ? '?' : entry.mtime.slice(0, 16).replace('T', ' '),
    `${s(entry.name)}${entry.type === 'symlink' && entry.linkTarget !== null ? ` -> ${s(entry.linkTarget)}` : ''}${entry.type === 'hardlink' && entry.linkTarget ? ` (hard link to ${s(entry.linkTarget.replace(/^\.\//, ''))})` : ''}`,
  ]);
  return rows.length === 0 ? '' : `${table(rows)}\n`;
}
