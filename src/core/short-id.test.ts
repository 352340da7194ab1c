import { describe, expect, it } from 'vitest';
import { shortId } from './short-id.js';

describe('shortId', () => {
  it('shortens a Docker ID to 12 digits and leaves other IDs whole', () => {
    const hex = '4a1c9e0b7d2f'.padEnd(64, '0');
    expect(shortId(hex)).toBe('4a1c9e0b7d2f');
    expect(shortId(`sha256:${hex}`)).toBe('4a1c9e0b7d2f');
    expect(shortId('shop/web-1/sidekick-app-1a2b3c')).toBe('shop/web-1/sidekick-app-1a2b3c');
    expect(shortId('4a1c9e0b7d2f')).toBe('4a1c9e0b7d2f');
  });
});
