import { describe, expect, it } from 'vitest';
import { readFixture, readFixtureText } from './fixtures/read-fixture.js';
import { parseMountinfo } from './mountinfo.js';

describe('parseMountinfo on a captured container sample', () => {
  const { value: mounts, problems } = parseMountinfo(readFixture('root-httpd.mountinfo'));
  const at = (mountPoint: string) => mounts.find((mount) => mount.mountPoint === mountPoint);

  it('reads every line', () => {
    expect(problems).toEqual([]);
    expect(mounts).toHaveLength(32);
  });

  it('reads the overlay root with its optional fields and escaped-free options', () => {
    const root = at('/');
    expect(root).toMatchObject({
      mountId: 108,
      parentId: 60,
      major: 0,
      minor: 49,
      root: '/',
      mountOptions: ['rw', 'relatime'],
      optionalFields: ['master:3'],
      fsType: 'overlay',
      source: 'overlay',
      readOnly: false,
    });
    expect(root?.superOptions[0]).toBe('rw');
    expect(root?.superOptions[1]).toMatch(/^lowerdir=\/var\/lib\/docker\/overlay2\/l\/[A-Z0-9]+:/);
  });

  it('decodes space, tab and backslash in bind mount paths', () => {
    const withSpace = at('/mnt/with space');
    expect(withSpace).toMatchObject({ major: 254, minor: 0, fsType: 'ext4', source: '/dev/vda', readOnly: true });
    expect(withSpace?.root).toMatch(/\/with space$/);
    expect(at('/mnt/tab\there')?.root).toMatch(/\/tab\there$/);
    expect(at('/mnt/back\\slash')?.root).toMatch(/\/back\\slash$/);
    expect(at('/mnt/tab\there')?.readOnly).toBe(false);
  });

  it('flags read-only mounts and read-only superblocks', () => {
    expect(at('/sys')?.readOnly).toBe(true);
    expect(at('/sys/fs/cgroup/cpu')).toMatchObject({ readOnly: true, mountOptions: expect.arrayContaining(['ro']) });
    expect(at('/proc/acpi')?.superOptions).toEqual(['ro']);
    expect(at('/run/sk')).toMatchObject({ fsType: 'tmpfs', superOptions: ['rw', 'size=1024k'], readOnly: false });
  });
});

describe('parseMountinfo on hostile input', () => {
  const sample = readFixtureText('root-httpd.mountinfo');
  const firstLine = sample.slice(0, sample.indexOf('\n'));

  it('reads CRLF line endings', () => {
    const { value, problems } = parseMountinfo(sample.replaceAll('\n', '\r\n'));
    expect(problems).toEqual([]);
    expect(value).toHaveLength(32);
    expect(value[0]?.superOptions.at(-1)).toMatch(/\/work$/);
  });

  it('reports a line cut short and keeps the others', () => {
    const { value, problems } = parseMountinfo(`${sample}42 1 0:5 / /trunc rw - tmpfs`);
    expect(value).toHaveLength(32);
    expect(problems).toEqual(['line 33: not a complete mountinfo line: "42 1 0:5 / /trunc rw - tmpfs"']);
  });

  it('reports a line without the separator', () => {
    expect(parseMountinfo('1 2 3:4 / / rw shared:1 ext4 /dev/sda rw\n').problems[0]).toMatch(/^line 1: not a complete/);
  });

  it('reports bad ids and device numbers', () => {
    const { value, problems } = parseMountinfo(
      '99999999999999999999 1 0:5 / /a rw - tmpfs tmpfs rw\n1 1 0:x / /b rw - tmpfs tmpfs rw\n1 1 0:1:2 / /c rw - tmpfs tmpfs rw\n',
    );
    expect(value).toEqual([]);
    expect(problems).toHaveLength(3);
  });

  it('decodes a newline in a mount point, and reports a stray backslash', () => {
    const { value, problems } = parseMountinfo('1 1 0:5 / /new\\012line rw - tmpfs a\\b rw\n');
    expect(value[0]?.mountPoint).toBe('/new\nline');
    expect(value[0]?.source).toBe('a\\b');
    expect(problems).toEqual(['line 1: a backslash that is not an octal escape in "a\\\\b"']);
  });

  it('keeps several optional fields, and none', () => {
    const [shared, none] = parseMountinfo(
      `${firstLine.replace('master:3', 'shared:2 master:3 propagate_from:1')}\n1 1 0:5 / /x rw - tmpfs tmpfs rw\n`,
    ).value;
    expect(shared?.optionalFields).toEqual(['shared:2', 'master:3', 'propagate_from:1']);
    expect(none?.optionalFields).toEqual([]);
  });

  it('returns nothing for empty input', () => {
    expect(parseMountinfo('')).toEqual({ value: [], problems: [] });
  });
});
