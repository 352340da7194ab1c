import { describe, expect, it } from 'vitest';
import { normalizeContainerPath, parseContainerPath, requireContainerPath } from './container-path.js';

describe('parseContainerPath', () => {
  it('splits TARGET:PATH at the first colon', () => {
    expect(parseContainerPath('web:/etc/passwd')).toEqual({ target: 'web', path: '/etc/passwd', contentsOnly: false });
    expect(parseContainerPath('web:/a:b')).toEqual({ target: 'web', path: '/a:b', contentsOnly: false });
    expect(parseContainerPath('web:etc/../tmp/')).toEqual({ target: 'web', path: '/tmp/', contentsOnly: false });
    expect(parseContainerPath('web:')).toEqual({ target: 'web', path: '/', contentsOnly: false });
    expect(parseContainerPath('web:/etc/.')).toEqual({ target: 'web', path: '/etc', contentsOnly: true });
  });

  it('leaves local paths alone', () => {
    expect(parseContainerPath('/tmp/x')).toBeUndefined();
    expect(parseContainerPath('./a:b')).toBeUndefined();
    expect(parseContainerPath('file.txt')).toBeUndefined();
    expect(parseContainerPath(':/x')).toBeUndefined();
    expect(parseContainerPath('-')).toBeUndefined();
  });

  it('normalizes and refuses what is not a container path', () => {
    expect(normalizeContainerPath('/../..//etc/')).toBe('/etc/');
    expect(normalizeContainerPath('/')).toBe('/');
    expect(() => requireContainerPath('/local', 'ls needs')).toThrow(/is not TARGET:PATH/);
    expect(() => parseContainerPath('web:/a\0b')).toThrow(/NUL/);
  });
});
