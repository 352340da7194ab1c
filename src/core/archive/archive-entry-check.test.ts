import { describe, expect, it } from 'vitest';
import { ArchiveEntryCheck } from './archive-entry-check.js';
import type { RawEntry } from './tar-filter.js';

const entry = (name: string, type: RawEntry['type'], linkname = ''): RawEntry => ({ name, type, linkname, size: 0, gnuSparse: false });

function run(entries: RawEntry[]): boolean[] {
  const check = new ArchiveEntryCheck();
  return entries.map((e) => check.check(e));
}

describe('ArchiveEntryCheck', () => {
  it('keeps an honest archive, its root entry and links within it', () => {
    expect(run([entry('./', 'directory'), entry('./a/', 'directory'), entry('./a/f', 'file'), entry('./a/h', 'hardlink', 'a/f'), entry('./a/l', 'symlink', '/etc/passwd')])).toEqual([true, true, true, true, true]);
  });

  it.each([
    ['an absolute name', [entry('/etc/passwd', 'file')], /absolute/],
    ['a ".." name', [entry('a/../../x', 'file')], /\.\./],
    ['a file below a symlink it made', [entry('esc', 'symlink', '/'), entry('esc/pwned', 'file')], /parent "esc" is a symlink/],
    ['a directory below a symlink it made, spelled differently', [entry('./esc', 'symlink', '/etc'), entry('esc//sub/', 'directory')], /parent "esc" is a symlink/],
    ['a directory in place of its symlink', [entry('esc', 'symlink', '/'), entry('esc/', 'directory')], /replace the symlink/],
    ['a hard link to a path not stored before', [entry('h', 'hardlink', 'etc/shadow')], /not a file stored earlier/],
    ['a hard link through a symlink it made', [entry('esc', 'symlink', '/'), entry('h', 'hardlink', 'esc/etc/shadow')], /not a file stored earlier/],
    ['a file standing for the destination', [entry('./', 'file')], /destination itself/],
    ['a GNU sparse file', [{ ...entry('s', 'file'), gnuSparse: true }], /sparse/],
  ])('refuses %s', (_what, entries, reason) => {
    expect(() => run(entries)).toThrow(reason);
  });

  it('leaves out devices and FIFOs and counts them', () => {
    const check = new ArchiveEntryCheck();
    expect(check.check(entry('dev/sda', 'other'))).toBe(false);
    expect(check.skipped).toBe(1);
  });
});
