import { describe, expect, it } from 'vitest';
import { withinTime } from './within-time.js';

describe('withinTime', () => {
  it('gives up on work that never settles', async () => {
    expect(await withinTime(new Promise<never>(() => undefined), 10)).toBeUndefined();
  });

  it('passes on what settles in time, values and errors alike', async () => {
    expect(await withinTime(Promise.resolve(42), 1_000)).toBe(42);
    await expect(withinTime(Promise.reject(new Error('refused')), 1_000)).rejects.toThrow('refused');
  });
});
