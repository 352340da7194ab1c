import { describe, expect, it } from 'vitest';
import { isUnsafeArchiveError, UnsafeArchiveError } from './unsafe-archive-error.js';

describe('UnsafeArchiveError', () => {
  it('carries the entry name and reason and prints them on one line', () => {
    const error = new UnsafeArchiveError('a\nb', 'contains a ".." component');
    expect(error.entryName).toBe('a\nb');
    expect(error.reason).toBe('contains a ".." component');
    // JSON quoting keeps a hostile name with a newline from splitting the message.
    expect(error.message).toBe('unsafe archive entry "a\\nb": contains a ".." component');
    expect(error.message).not.toContain('\n');
    expect(isUnsafeArchiveError(error)).toBe(true);
    expect(isUnsafeArchiveError(new Error('x'))).toBe(false);
  });
});
