import { describe, expect, it } from 'vitest';
import { decodeOctalEscapes } from './octal-escapes.js';

describe('decodeOctalEscapes', () => {
  it('decodes the escapes the kernel writes', () => {
    expect(decodeOctalEscapes('a\\040b\\011c\\012d\\134e')).toEqual({ text: 'a b\tc\nd\\e', malformed: false });
  });

  it('decodes other octal escapes too, such as a comma in an option value', () => {
    expect(decodeOctalEscapes('lowerdir=/a\\054b').text).toBe('lowerdir=/a,b');
  });

  it('keeps a stray backslash and an out-of-range escape as they are, and says so', () => {
    expect(decodeOctalEscapes('a\\b')).toEqual({ text: 'a\\b', malformed: true });
    expect(decodeOctalEscapes('a\\777')).toEqual({ text: 'a\\777', malformed: true });
    expect(decodeOctalEscapes('trailing\\')).toEqual({ text: 'trailing\\', malformed: true });
    expect(decodeOctalEscapes('\\04')).toEqual({ text: '\\04', malformed: true });
  });

  it('leaves text without escapes alone', () => {
    expect(decodeOctalEscapes('')).toEqual({ text: '', malformed: false });
    expect(decodeOctalEscapes('/var/lib/docker')).toEqual({ text: '/var/lib/docker', malformed: false });
  });
});
