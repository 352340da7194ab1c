import { describe, expect, it } from 'vitest';
import { formatBytes, table, terminalSafe, terminalSafeLines } from './terminal-safe.js';

describe('terminalSafe', () => {
  it('escapes control characters', () => {
    expect(terminalSafe('a\x1b[2Jb\nc\td')).toBe('a\\x1b[2Jb\\nc\\td');
    expect(terminalSafe('plain /path')).toBe('plain /path');
  });

  it('escapes characters that reorder or hide text', () => {
    expect(terminalSafe('evil\u202etxt.exe')).toBe('evil\\u202etxt.exe');
    expect(terminalSafe('a\u200bb\u2066c\ufeff')).toBe('a\\u200bb\\u2066c\\ufeff');
    expect(terminalSafe('café ✓ 日本')).toBe('café ✓ 日本');
    expect(terminalSafeLines('Error: \x1b[31mx\n    at y')).toBe('Error: \\x1b[31mx\n    at y');
  });
});

describe('table and formatBytes', () => {
  it('pads columns', () => {
    expect(table([['A', 'BB', 'C'], ['long', 'x', 'y']])).toBe('A     BB  C\nlong  x   y');
  });
  it('formats sizes', () => {
    expect(formatBytes(null)).toBe('unlimited');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(64 * 1024 * 1024)).toBe('64.0 MiB');
  });
});
