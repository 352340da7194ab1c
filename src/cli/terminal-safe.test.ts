import { describe, expect, it } from 'vitest';
import { formatBytes, table, terminalSafe } from './terminal-safe.js';

describe('terminalSafe', () => {
  it('escapes control characters', () => {
    expect(terminalSafe('a\x1b[2Jb\nc\td')).toBe('a\\x1b[2Jb\\nc\\td');
    expect(terminalSafe('plain /path')).toBe('plain /path');
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
