import { describe, expect, it } from 'vitest';
import { parseCmdline } from './cmdline.js';
import { readFixture } from './fixtures/read-fixture.js';

describe('parseCmdline on captured samples', () => {
  it('reads a NUL-terminated argv', () => {
    expect(parseCmdline(readFixture('root-httpd.cmdline'))).toEqual({
      value: ['/usr/bin/busybox', 'httpd', '-f', '-p', '8080', '-h', '/'],
      problems: [],
    });
    expect(parseCmdline(readFixture('nonroot-nc.cmdline')).value).toEqual(['/usr/bin/busybox', 'nc', '-l', '-p', '8081']);
  });

  it('reads a title rewritten over argv and padded with NULs (nginx, postgres)', () => {
    expect(parseCmdline(readFixture('helper-pad.cmdline'))).toEqual({ value: ['worker: idle'], problems: [] });
  });

  it('reads a title longer than argv, which the kernel ends at the first NUL', () => {
    expect(parseCmdline(readFixture('helper-spill.cmdline'))).toEqual({
      value: ['sk-helper: master process, a title longer than the original argv area'],
      problems: [],
    });
  });

  it('reads a rewritten title with no NUL at all as one string', () => {
    const { value, problems } = parseCmdline(readFixture('helper-page.cmdline'));
    expect(problems).toEqual([]);
    expect(value).toHaveLength(1);
    expect(value[0]).toHaveLength(4096);
    expect(value[0]?.startsWith('title-title-')).toBe(true);
  });
});

describe('parseCmdline on hostile input', () => {
  it('returns no arguments for a kernel thread or zombie (empty file) or only NULs', () => {
    expect(parseCmdline('')).toEqual({ value: [], problems: [] });
    expect(parseCmdline('\0\0\0')).toEqual({ value: [], problems: [] });
  });

  it('keeps empty arguments in the middle', () => {
    expect(parseCmdline('prog\0\0last\0').value).toEqual(['prog', '', 'last']);
  });

  it('keeps a last argument that was cut short and says so', () => {
    expect(parseCmdline('prog\0--fla')).toEqual({
      value: ['prog', '--fla'],
      problems: ['the last argument is not NUL-terminated; it may be cut short'],
    });
  });

  it('keeps CR, LF and escape sequences inside arguments', () => {
    expect(parseCmdline('sh\0-c\0echo\r\n\u001b[2J\0').value).toEqual(['sh', '-c', 'echo\r\n\u001b[2J']);
  });
});
