import { describe, expect, it } from 'vitest';
import { ancestorsOf, baseName, isProtectedPath, isWithin, parentOf, parsePrefix } from './container-path.js';

describe('parsePrefix', () => {
  it('normalizes absolute paths', () => {
    expect(parsePrefix('/.sidekick')).toBe('/.sidekick');
    expect(parsePrefix('//tmp/./.sidekick/')).toBe('/tmp/.sidekick');
  });

  it.each([
    ['relative', '.sidekick', /not an absolute path/],
    ['root', '/', /root directory/],
    ['dot-dot', '/tmp/../.sidekick', /".."/],
    ['proc', '/proc/1/root/x', /\/dev, \/proc or \/sys/],
    ['dev', '/dev/shm/.sidekick', /\/dev, \/proc or \/sys/],
    ['newline', '/a\nb', /control character/],
    ['quote', '/a"b', /quote or a backslash/],
    ['backslash', '/a\\b', /quote or a backslash/],
  ])('refuses %s', (_name, prefix, message) => {
    expect(() => parsePrefix(prefix)).toThrow(message);
  });
});

describe('path helpers', () => {
  it('lists ancestors without the root', () => {
    expect(ancestorsOf('/.sidekick')).toEqual([]);
    expect(ancestorsOf('/a/b/c')).toEqual(['/a', '/a/b']);
  });

  it('splits parent and base name', () => {
    expect(parentOf('/.sidekick')).toBe('/');
    expect(parentOf('/tmp/.sidekick')).toBe('/tmp');
    expect(baseName('/tmp/.sidekick')).toBe('.sidekick');
  });

  it('knows protected paths and containment', () => {
    expect(isProtectedPath('/proc')).toBe(true);
    expect(isProtectedPath('/sys/fs')).toBe(true);
    expect(isProtectedPath('/system')).toBe(false);
    expect(isWithin('/etc/apt', '/etc')).toBe(true);
    expect(isWithin('/etcetera', '/etc')).toBe(false);
    expect(isWithin('/x', '/')).toBe(true);
  });
});
