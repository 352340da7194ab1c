import { describe, expect, it } from 'vitest';
import { parseEntryPath } from './entry-path.js';

describe('parseEntryPath', () => {
  it.each([
    ['etc/passwd', ['etc', 'passwd']],
    ['./etc//passwd', ['etc', 'passwd']],
    ['dir/', ['dir']],
    ['.', []],
    ['./', []],
    ['...', ['...']],
    ['a..b/..c', ['a..b', '..c']],
    ['with space/x', ['with space', 'x']],
  ])('accepts %j', (name, components) => {
    expect(parseEntryPath(name)).toEqual({ ok: true, components });
  });

  it.each([
    ['/etc/passwd', 'absolute'],
    ['//x', 'absolute'],
    ['..', '".."'],
    ['../escape', '".."'],
    ['a/../../b', '".."'],
    ['a/../b', '".."'],
    ['a/..', '".."'],
    ['a\0b', 'NUL'],
    ['', 'empty'],
  ])('refuses %j', (name, reason) => {
    const result = parseEntryPath(name);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });

  it('strips the first component after dropping "." components', () => {
    expect(parseEntryPath('./etc/passwd', true)).toEqual({ ok: true, components: ['passwd'] });
    expect(parseEntryPath('etc/', true)).toEqual({ ok: true, components: [] });
  });

  it('checks for ".." before stripping, so stripping cannot hide it', () => {
    expect(parseEntryPath('../x', true).ok).toBe(false);
  });
});
