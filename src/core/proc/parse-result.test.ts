import { describe, expect, it } from 'vitest';
import { ProblemLog, parseSafely, quote } from './parse-result.js';

describe('ProblemLog', () => {
  it('numbers problems by line', () => {
    const log = new ProblemLog();
    log.atLine(3, 'bad');
    expect(log.list()).toEqual(['line 3: bad']);
  });

  it('keeps the first problems and counts the rest', () => {
    const log = new ProblemLog();
    for (let index = 0; index < 1000; index += 1) log.add(`problem ${index}`);
    const problems = log.list();
    expect(problems).toHaveLength(21);
    expect(problems[0]).toBe('problem 0');
    expect(problems[20]).toBe('… and 980 more problems');
  });
});

describe('quote', () => {
  it('escapes control characters so that they cannot reach a terminal', () => {
    expect(quote('a\u001b[31mb\nc')).toBe('"a\\u001b[31mb\\nc"');
  });

  it('shortens long text', () => {
    expect(quote('x'.repeat(1000))).toBe(`"${'x'.repeat(60)}…"`);
  });
});

describe('parseSafely', () => {
  it('turns an exception into a problem and the fallback value', () => {
    const result = parseSafely<number[]>(
      'thing',
      () => {
        throw new RangeError('Invalid string length');
      },
      () => [],
    );
    expect(result).toEqual({ value: [], problems: ['thing: parser failed (Invalid string length)'] });
  });

  it('returns the value and the problems logged on the way', () => {
    const result = parseSafely(
      'thing',
      (log) => {
        log.add('odd');
        return 42;
      },
      () => 0,
    );
    expect(result).toEqual({ value: 42, problems: ['odd'] });
  });
});
