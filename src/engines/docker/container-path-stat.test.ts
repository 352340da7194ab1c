import { describe, expect, it } from 'vitest';
import {
  decodeContainerPathStat,
  GoFileMode,
  goModeKind,
  goModeToUnixPermissions,
} from './container-path-stat.js';

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');

describe('decodeContainerPathStat', () => {
  it('decodes the example from the engine API documentation', () => {
    const header =
      'eyJuYW1lIjoicm9vdCIsInNpemUiOjQwOTYsIm1vZGUiOjIxNDc0ODQwOTYsIm10aW1lIjoiMjAxNC0wMi0yN1QyMDo1MToyM1oiLCJsaW5rVGFyZ2V0IjoiIn0=';
    expect(decodeContainerPathStat(header)).toEqual({
      stat: {
        name: 'root',
        size: 4096,
        kind: 'dir',
        mode: 0o700,
        mtime: new Date('2014-02-27T20:51:23Z'),
        linkTarget: '',
      },
    });
  });

  it('decodes a symlink with its target, a Go RFC 3339 nano mtime, and a header given as a one-element array', () => {
    const result = decodeContainerPathStat([
      encode({
        name: 'sh',
        size: 7,
        mode: GoFileMode.symlink + 0o777,
        mtime: '2024-05-06T07:08:09.123456789+02:00',
        linkTarget: '/bin/busybox',
      }),
    ]);
    expect(result.stat).toMatchObject({ kind: 'symlink', mode: 0o777, linkTarget: '/bin/busybox' });
    expect(result.stat?.mtime.toISOString()).toBe('2024-05-06T05:08:09.123Z');
  });

  it('treats a missing linkTarget as empty and ignores unknown fields', () => {
    const result = decodeContainerPathStat(
      encode({ name: 'f', size: 1, mode: 0o644, mtime: '2020-01-01T00:00:00Z', extra: [1] }),
    );
    expect(result.stat).toMatchObject({ kind: 'file', mode: 0o644, linkTarget: '' });
  });

  it.each([
    [undefined, 'no path stat header'],
    [null, 'no path stat header'],
    [['a', 'b'], 'more than once'],
    [42, 'not text'],
    ['', 'empty'],
    ['   ', 'empty'],
    ['not base64!', 'not base64'],
    ['A', 'not base64'],
    ['x'.repeat(100_000), 'implausibly long'],
    [Buffer.from('{"name":').toString('base64'), 'not base64-encoded JSON'],
    [Buffer.from([0xff, 0xfe, 0x00]).toString('base64'), 'not base64-encoded JSON'],
    [encode([1, 2]), 'not a JSON object'],
    [encode(null), 'not a JSON object'],
    [encode('string'), 'not a JSON object'],
    [encode({ size: 1, mode: 0, mtime: '2020-01-01T00:00:00Z' }), '"name"'],
    [encode({ name: 'x', size: -1, mode: 0, mtime: '2020-01-01T00:00:00Z' }), '"size"'],
    [encode({ name: 'x', size: 1.5, mode: 0, mtime: '2020-01-01T00:00:00Z' }), '"size"'],
    [encode({ name: 'x', size: '1', mode: 0, mtime: '2020-01-01T00:00:00Z' }), '"size"'],
    [encode({ name: 'x', size: 1, mode: 2 ** 32, mtime: '2020-01-01T00:00:00Z' }), '"mode"'],
    [encode({ name: 'x', size: 1, mode: -1, mtime: '2020-01-01T00:00:00Z' }), '"mode"'],
    [encode({ name: 'x', size: 1, mode: 0 }), '"mtime"'],
    [encode({ name: 'x', size: 1, mode: 0, mtime: 'yesterday' }), '"mtime" is not a date'],
    [encode({ name: 'x', size: 1, mode: 0, mtime: '2020-01-01T00:00:00Z', linkTarget: 5 }), '"linkTarget"'],
  ])('never throws on garbage: %j', (header, reason) => {
    const result = decodeContainerPathStat(header);
    expect(result.stat).toBeUndefined();
    expect(result.reason).toContain(reason);
  });

  it('survives a prototype-pollution attempt without touching Object.prototype', () => {
    const header = Buffer.from(
      '{"__proto__":{"polluted":1},"name":"x","size":0,"mode":0,"mtime":"2020-01-01T00:00:00Z"}',
    ).toString('base64');
    expect(decodeContainerPathStat(header).stat?.name).toBe('x');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('Go os.FileMode conversion', () => {
  it.each([
    [0o644, 'file'],
    [GoFileMode.dir + 0o755, 'dir'],
    [GoFileMode.symlink + 0o777, 'symlink'],
    [GoFileMode.namedPipe + 0o600, 'other'],
    [GoFileMode.socket + 0o755, 'other'],
    [GoFileMode.device + 0o660, 'other'],
    [GoFileMode.device + GoFileMode.charDevice + 0o666, 'other'],
    [GoFileMode.irregular, 'other'],
    // Not type bits: a file that is append-only or temporary is still a file.
    [GoFileMode.append + GoFileMode.temporary + 0o644, 'file'],
  ] as const)('%s is a %s', (goMode, kind) => {
    expect(goModeKind(goMode)).toBe(kind);
  });

  it('moves setuid, setgid and sticky to where Unix keeps them', () => {
    expect(goModeToUnixPermissions(GoFileMode.setuid + 0o755)).toBe(0o4755);
    expect(goModeToUnixPermissions(GoFileMode.setgid + 0o2755 - 0o2000)).toBe(0o2755);
    expect(goModeToUnixPermissions(GoFileMode.dir + GoFileMode.sticky + 0o777)).toBe(0o1777);
    expect(goModeToUnixPermissions(GoFileMode.dir + GoFileMode.setuid + GoFileMode.setgid + GoFileMode.sticky + 0o700)).toBe(
      0o7700,
    );
    // Bit 31 (ModeDir) would make a signed 32-bit `&` go negative; the result must still be plain permissions.
    expect(goModeToUnixPermissions(0xffffffff)).toBe(0o7777);
    expect(goModeKind(0xffffffff)).toBe('dir');
  });
});
