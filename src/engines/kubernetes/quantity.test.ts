import { describe, expect, it } from 'vitest';
import { parseQuantity } from './quantity.js';

describe('Kubernetes quantities', () => {
  it('reads the spellings found in pod specs', () => {
    expect(parseQuantity('128Mi')).toBe(128 * 2 ** 20);
    expect(parseQuantity('1Gi')).toBe(2 ** 30);
    expect(parseQuantity('500M')).toBe(500e6);
    expect(parseQuantity('250m')).toBeCloseTo(0.25);
    expect(parseQuantity('2')).toBe(2);
    expect(parseQuantity('1.5')).toBe(1.5);
    expect(parseQuantity('.5')).toBe(0.5);
    expect(parseQuantity('1e3')).toBe(1000);
    expect(parseQuantity('12E-1')).toBeCloseTo(1.2);
    expect(parseQuantity('100k')).toBe(100_000);
  });

  it('refuses what is not a quantity', () => {
    for (const text of ['', 'Mi', '1 Gi', '1KB', '1mi', 'one', '1.2.3']) expect(parseQuantity(text), text).toBeUndefined();
  });
});
