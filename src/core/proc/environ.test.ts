import { describe, expect, it } from 'vitest';
import { environToMap, parseEnviron } from './environ.js';
import { readFixture } from './fixtures/read-fixture.js';

describe('parseEnviron on captured samples', () => {
  it('reads the environment docker run set, values with spaces and "=" included', () => {
    const { value, problems } = parseEnviron(readFixture('root-httpd.environ'));
    expect(problems).toEqual([]);
    expect(value).toContainEqual({ name: 'GREETING', value: 'hello world' });
    expect(value).toContainEqual({ name: 'EQUALS', value: 'a=b=c' });
    expect(value).toContainEqual({ name: 'EMPTY', value: '' });
    expect(environToMap(value).get('PATH')).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
  });

  it('keeps entries without "=", control characters, duplicates and bytes that are not UTF-8', () => {
    const { value, problems } = parseEnviron(readFixture('helper-pad.environ'));
    expect(problems).toEqual([]);
    expect(value.slice(0, 9)).toEqual([
      { name: 'PATH', value: '/usr/bin' },
      { name: 'NOEQUALS', value: undefined },
      { name: 'TAB', value: 'a\tb' },
      { name: 'NEWLINE', value: 'line1\nline2' },
      { name: 'LATIN1', value: 'caf\ufffd' },
      { name: '', value: 'leading-equals' },
      { name: 'DUP', value: 'first' },
      { name: 'DUP', value: 'second' },
      { name: 'EMPTY', value: '' },
    ]);
    expect(value[9]?.value).toBe('b'.repeat(5995));
    const variables = environToMap(value);
    expect(variables.get('DUP')).toBe('first');
    expect(variables.has('NOEQUALS')).toBe(false);
  });

  it('reads an environment that a rewritten title overwrote', () => {
    const spill = parseEnviron(readFixture('helper-spill.environ'));
    expect(spill.problems).toEqual([]);
    expect(spill.value[0]).toEqual({ name: 'ger than the original argv area', value: undefined });
    expect(spill.value[1]).toEqual({ name: 'EWLINE', value: 'line1\nline2' });
    const page = parseEnviron(readFixture('helper-page.environ'));
    expect(page.value).toHaveLength(1);
    expect(page.value[0]?.name.startsWith('itle-title-')).toBe(true);
  });
});

describe('parseEnviron on hostile input', () => {
  it('returns nothing for an empty file', () => {
    expect(parseEnviron('')).toEqual({ value: [], problems: [] });
  });

  it('keeps a last entry that was cut short and says so', () => {
    expect(parseEnviron('A=1\0B=tru')).toEqual({
      value: [
        { name: 'A', value: '1' },
        { name: 'B', value: 'tru' },
      ],
      problems: ['the last entry is not NUL-terminated; it may be cut short'],
    });
  });

  it('skips empty entries and counts them', () => {
    const { value, problems } = parseEnviron('A=1\0\0\0B=2\0');
    expect(value.map((entry) => entry.name)).toEqual(['A', 'B']);
    expect(problems).toEqual(['skipped 2 empty entries (an environment rewritten in place?)']);
  });

  it('does not split values on CR or LF', () => {
    expect(parseEnviron('A=1\r\nB=2\0').value).toEqual([{ name: 'A', value: '1\r\nB=2' }]);
  });

  it('does not confuse a name with what objects inherit', () => {
    const variables = environToMap(parseEnviron('__proto__=x\0constructor=y\0').value);
    expect(variables.get('__proto__')).toBe('x');
    expect(variables.get('constructor')).toBe('y');
  });
});
