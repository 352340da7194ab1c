import { describe, expect, it } from 'vitest';
import { ProblemLog } from './parse-result.js';
import { splitFields, splitLines, toText } from './text.js';

describe('toText', () => {
  it('decodes bytes as UTF-8, replacing invalid sequences instead of failing', () => {
    const log = new ProblemLog();
    expect(toText(Uint8Array.from([0x63, 0x61, 0x66, 0xe9]), log)).toBe('caf\ufffd');
    expect(log.list()).toEqual([]);
  });

  it('reports input that is neither text nor bytes', () => {
    const log = new ProblemLog();
    expect(toText(null, log)).toBe('');
    expect(toText(42, log)).toBe('');
    expect(log.list()).toEqual(['expected text or bytes, got null', 'expected text or bytes, got number']);
  });
});

describe('splitLines', () => {
  it('handles LF, CRLF, a missing final newline and empty input', () => {
    expect(splitLines('a\nb\n')).toEqual(['a', 'b']);
    expect(splitLines('a\r\nb\r\n')).toEqual(['a', 'b']);
    expect(splitLines('a\nb')).toEqual(['a', 'b']);
    expect(splitLines('')).toEqual([]);
    expect(splitLines('a\n\nb')).toEqual(['a', '', 'b']);
  });
});

describe('splitFields', () => {
  it('splits on runs of spaces and tabs', () => {
    expect(splitFields('  0: a\t b ')).toEqual(['0:', 'a', 'b']);
    expect(splitFields('   ')).toEqual([]);
  });
});
