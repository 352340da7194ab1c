import { describe, expect, it } from 'vitest';
import { parseArchiveStat } from './archive-stat.js';

/**
 * Answers of the `stat` operation (archive-scripts.ts) captured from a real run: the toolbox's
 * busybox (v1.35.0) in a sidekick of the scratch server, with the server's root as its own.
 */
const CAPTURED = {
  server: 'stat 81ed 772696 0\n',
  root: 'stat 41ed 4096 1796142677\n',
  absent: 'absent\n',
  setuidWithSpace: 'stat 89ed 0 1704164645\n',
  devNull: 'stat 21b6 0 1796143497\n',
  /** /proc/self: readlink -f and readlink ran as two processes, hence two numbers. */
  procSelf: 'stat a1ff 0 1796142677\n/proc/99\n\x00100\n\x00',
  /** /dangling -> /nowhere/x: readlink -f has no answer. */
  dangling: 'stat a1ff 10 1796143499\n\x00/nowhere/x\n\x00',
  /** /rel -> ../d */
  relative: 'stat a1ff 4 1796143499\n/d\n\x00../d\n\x00',
} as const;

const parse = (path: string, text: string) => parseArchiveStat(path, Buffer.from(text, 'utf8'));

describe('parseArchiveStat', () => {
  it('reads a file, a directory, a device and the root', () => {
    expect(parse('/server', CAPTURED.server)).toEqual({ name: 'server', size: 772696, kind: 'file', mode: 0o755, mtime: new Date(0), linkTarget: '' });
    expect(parse('/', CAPTURED.root)).toMatchObject({ name: '/', kind: 'dir', mode: 0o755, size: 4096, mtime: new Date(1796142677 * 1000) });
    expect(parse('/dev/null', CAPTURED.devNull)).toMatchObject({ name: 'null', kind: 'other', mode: 0o666 });
  });

  it('keeps setuid, setgid and sticky bits, and names a path by its last component', () => {
    expect(parse('/d/with space/f', CAPTURED.setuidWithSpace)).toMatchObject({ name: 'f', kind: 'file', mode: 0o4755, mtime: new Date('2024-01-02T03:04:05Z') });
    expect(parse('/d/dir/', CAPTURED.root)).toMatchObject({ name: 'dir' });
  });

  it('says undefined for absent', () => {
    expect(parse('/d/nothing', CAPTURED.absent)).toBeUndefined();
  });

  it('gives a link the resolution readlink -f found inside the root, else its own text taken from its directory', () => {
    expect(parse('/proc/self', CAPTURED.procSelf)).toMatchObject({ kind: 'symlink', linkTarget: '/proc/99' });
    expect(parse('/rel', CAPTURED.relative)).toMatchObject({ kind: 'symlink', linkTarget: '/d' });
    expect(parse('/dangling', CAPTURED.dangling)).toMatchObject({ kind: 'symlink', linkTarget: '/nowhere/x' });
    expect(parse('/a/b/dangling', 'stat a1ff 5 0\n\x00../../../../x\n\x00')).toMatchObject({ linkTarget: '/x' });
    expect(parse('/a/b/dangling', 'stat a1ff 5 0\n\x00c/d\n\x00')).toMatchObject({ linkTarget: '/a/b/c/d' });
  });

  it('keeps a link text with a newline in it, and refuses what it cannot read', () => {
    expect(parse('/l', 'stat a1ff 5 0\n/x\ny\n\x00/x\ny\n\x00')).toMatchObject({ linkTarget: '/x\ny' });
    expect(() => parse('/x', 'sh: stat: not found\n')).toThrow(/unexpected answer/);
    expect(() => parse('/x', 'stat zz 1 2\n')).toThrow(/unexpected answer/);
    expect(() => parse('/x', '')).toThrow(/unexpected answer/);
  });
});
