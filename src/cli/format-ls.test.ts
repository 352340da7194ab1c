import { describe, expect, it } from 'vitest';
import { formatLs, modeString } from './format-ls.js';

describe('modeString', () => {
  it('writes modes as ls does', () => {
    expect(modeString('directory', 0o755)).toBe('drwxr-xr-x');
    expect(modeString('file', 0o4755)).toBe('-rwsr-xr-x');
    expect(modeString('file', 0o2644)).toBe('-rw-r-Sr--');
    expect(modeString('directory', 0o1777)).toBe('drwxrwxrwt');
    expect(modeString('symlink', 0o777)).toBe('lrwxrwxrwx');
  });
});

describe('formatLs', () => {
  it('shows symlink targets and escapes names', () => {
    const text = formatLs([
      { name: 'sh', type: 'symlink', mode: 0o777, uid: 0, gid: 0, size: 0, mtime: '2026-01-02T03:04:05.000Z', linkTarget: 'busybox' },
      { name: 'evil\x1b[2J', type: 'file', mode: 0o644, uid: 65532, gid: 65532, size: 12, mtime: null, linkTarget: null },
    ]);
    expect(text).toBe('lrwxrwxrwx  0      0      0   2026-01-02 03:04  sh -> busybox\n-rw-r--r--  65532  65532  12  ?                 evil\\x1b[2J\n');
  });
});
