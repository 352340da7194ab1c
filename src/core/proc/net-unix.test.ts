import { describe, expect, it } from 'vitest';
import { readFixture, readFixtureText } from './fixtures/read-fixture.js';
import { parseNetUnix } from './net-unix.js';

describe('parseNetUnix on captured samples', () => {
  it('reads a datagram socket of a container', () => {
    expect(parseNetUnix(readFixture('root-net.unix'))).toEqual({
      value: [{ inode: expect.any(Number), type: 'DGRAM', state: 'UNCONNECTED', listening: false, path: '/dev/log', abstract: false }],
      problems: [],
    });
  });

  it('reads listening stream sockets with a space in the path and an abstract name', () => {
    const { value, problems } = parseNetUnix(readFixture('helper-net.unix'));
    expect(problems).toEqual([]);
    expect(value.map(({ path, abstract, listening, type }) => ({ path, abstract, listening, type }))).toEqual([
      { path: '/tmp/with space.sock', abstract: false, listening: true, type: 'STREAM' },
      { path: '@sk abstract', abstract: true, listening: true, type: 'STREAM' },
    ]);
  });

  it('reads a path that holds a newline as one path, and says so', () => {
    const { value, problems } = parseNetUnix(readFixture('host-net.unix'));
    expect(value).toHaveLength(3);
    expect(value[0]?.path).toMatch(/^\/tmp\/sk proc .+\/with space\.sock$/);
    expect(value[1]?.path).toMatch(/^\/tmp\/sk proc .+\/new\nline\.sock$/);
    expect(value[1]?.inode).toBe(46950);
    expect(value[2]?.path).toBe(`@sk-proc-fixture abstract${'@'.repeat(83)}`);
    expect(problems).toEqual(['line 4: the path of socket 46950 holds a newline; read as one path']);
  });
});

describe('parseNetUnix on hostile input', () => {
  it('reads sockets without a path, padded inodes and CRLF', () => {
    const text =
      'Num       RefCount Protocol Flags    Type St Inode Path\r\n' +
      '0000000000000000: 00000003 00000000 00000000 0001 03  5749\r\n' +
      '0000000000000000: 00000002 00000000 00000000 0005 02 12345  leading space\r\n';
    const { value, problems } = parseNetUnix(text);
    expect(problems).toEqual([]);
    expect(value).toEqual([
      { inode: 5749, type: 'STREAM', state: 'CONNECTED', listening: false, abstract: false },
      { inode: 12345, type: 'SEQPACKET', state: 'CONNECTING', listening: false, path: ' leading space', abstract: false },
    ]);
  });

  it('names unknown types and states by number', () => {
    const [socket] = parseNetUnix('0: 00000002 00000000 00000000 00FF 0A 1 /x\n').value;
    expect(socket).toMatchObject({ type: 'UNKNOWN_FF', state: 'UNKNOWN_0A' });
  });

  it('reports a garbled line that follows a socket without a path', () => {
    const { value, problems } = parseNetUnix('0: 00000002 00000000 00000000 0001 01 7\n\0garbage\n');
    expect(value).toHaveLength(1);
    expect(problems).toEqual(['line 2: not a socket line: "\\u0000garbage"']);
  });

  it('rejects an inode too large to hold exactly', () => {
    const { value, problems } = parseNetUnix('0: 00000002 00000000 00000000 0001 01 99999999999999999999 /x\n');
    expect(value).toEqual([]);
    expect(problems[0]).toMatch(/^line 1: cannot read socket line/);
  });

  it('returns nothing for empty input', () => {
    expect(parseNetUnix('')).toEqual({ value: [], problems: [] });
    expect(parseNetUnix(readFixtureText('root-net.unix').split('\n')[0] ?? '')).toEqual({ value: [], problems: [] });
  });
});
