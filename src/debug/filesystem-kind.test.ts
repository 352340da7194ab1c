import { describe, expect, it } from 'vitest';
import { imageKind, parseOsRelease } from './filesystem-kind.js';

const none = { shells: [], packageManagers: [], libc: [], hasPasswd: false, hasOsRelease: false };

describe('imageKind', () => {
  it('tells the kinds apart', () => {
    expect(imageKind(none)).toBe('scratch');
    expect(imageKind({ ...none, hasPasswd: true })).toBe('distroless');
    expect(imageKind({ ...none, libc: ['/lib/x86_64-linux-gnu/libc.so.6'] })).toBe('distroless');
    expect(imageKind({ ...none, shells: ['/bin/sh'] })).toBe('minimal');
    expect(imageKind({ ...none, shells: ['/bin/sh'], packageManagers: ['/sbin/apk'] })).toBe('full OS');
    expect(imageKind({ ...none, shells: ['/bin/sh'], hasOsRelease: true })).toBe('full OS');
  });
});

describe('parseOsRelease', () => {
  it('reads quoted and bare values', () => {
    expect(parseOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n# x\nNAME=\'A \\"b\\"\'\n')).toEqual({
      PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)',
      ID: 'debian',
      NAME: 'A "b"',
    });
  });
});
