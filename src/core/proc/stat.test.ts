import { describe, expect, it } from 'vitest';
import { readFixture, readFixtureText } from './fixtures/read-fixture.js';
import { parseStat } from './stat.js';

describe('parseStat on captured samples', () => {
  it('reads a container PID 1', () => {
    const { value, problems } = parseStat(readFixture('root-httpd.stat'));
    expect(problems).toEqual([]);
    expect(value).toEqual({
      pid: 1,
      comm: 'busybox',
      state: { code: 'S', name: 'sleeping' },
      ppid: 0,
      userTicks: 2,
      systemTicks: 3,
      numThreads: 1,
      startTimeTicks: 55915n,
      rssPages: 348,
    });
  });

  it('ends comm at the last parenthesis, even when comm imitates the fields after it', () => {
    const { value, problems } = parseStat(readFixture('helper-spill.stat'));
    expect(problems).toEqual([]);
    expect(value).toMatchObject({ pid: 1, comm: 'sk) Z 99 (x)', state: { code: 'S' }, ppid: 0, startTimeTicks: 56010n });
  });

  it('reads a host daemon with many threads', () => {
    const { value } = parseStat(readFixtureText('host-dockerd.stat'));
    expect(value).toMatchObject({ pid: 2390, comm: 'dockerd', ppid: 1, numThreads: 14, startTimeTicks: 7228n, rssPages: 23069 });
  });
});

describe('parseStat on hostile input', () => {
  const sample = readFixtureText('helper-spill.stat');

  it('keeps only the pid of a line cut short, as its last ")" may belong to comm', () => {
    const { value, problems } = parseStat('1 (sk) Z 99 (x');
    expect(value).toEqual({ pid: 1 });
    expect(problems).toEqual(['the line is cut short (3 fields after comm); only the pid is kept']);
    expect(parseStat(sample.slice(0, 60)).value).toEqual({ pid: 1 });
  });

  it('reads CRLF and a missing final newline', () => {
    expect(parseStat(sample.replace('\n', '\r\n')).value.startTimeTicks).toBe(56010n);
    expect(parseStat(sample.trimEnd()).value.startTimeTicks).toBe(56010n);
  });

  it('reads a start time beyond 2^53 exactly', () => {
    const huge = sample.replace(' 56010 ', ' 18446744073709551615 ');
    expect(parseStat(huge).value.startTimeTicks).toBe(18446744073709551615n);
  });

  it('reports fields it cannot read and keeps the rest', () => {
    const { value, problems } = parseStat(sample.replace(') S 0 ', ') ? x '));
    expect(value.state).toBeUndefined();
    expect(value.ppid).toBeUndefined();
    expect(value.comm).toBe('sk) Z 99 (x)');
    expect(problems).toEqual(['cannot read state: "?"', 'cannot read ppid: "x"']);
  });

  it('reports empty input and lines without "pid (comm)"', () => {
    expect(parseStat('')).toEqual({ value: {}, problems: ['empty stat'] });
    expect(parseStat('\0\0\0').problems).toEqual(['no "pid (comm)" at the start of the line']);
  });
});
