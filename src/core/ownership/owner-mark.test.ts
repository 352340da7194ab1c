import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isWellFormedMark, ownerMark, verifyOwnerMark, type MarkedFields } from './owner-mark.js';

const key = randomBytes(32);
const fields: MarkedFields = { session: 'abc123', kind: 'sidekick', target: 'f00d', created: '2026-01-01T00:00:00.000Z', client: 'm.b.4026531836/42/123' };

describe('owner mark', () => {
  it('verifies with the key it was made with, over the same labels', () => {
    const mark = ownerMark(key, fields);
    expect(isWellFormedMark(mark)).toBe(true);
    expect(verifyOwnerMark(mark, fields, [key])).toBe(true);
    expect(verifyOwnerMark(mark, fields, [randomBytes(32), key])).toBe(true);
  });

  it('fails with another key or no key', () => {
    const mark = ownerMark(key, fields);
    expect(verifyOwnerMark(mark, fields, [randomBytes(32)])).toBe(false);
    expect(verifyOwnerMark(mark, fields, [])).toBe(false);
  });

  it('fails when any covered label differs', () => {
    const mark = ownerMark(key, fields);
    for (const name of Object.keys(fields) as Array<keyof MarkedFields>) {
      expect(verifyOwnerMark(mark, { ...fields, [name]: `${fields[name]}x` }, [key]), name).toBe(false);
    }
    // A value moved from one field into its neighbour is a different message.
    expect(verifyOwnerMark(mark, { ...fields, session: 'abc12', kind: '3sidekick' }, [key])).toBe(false);
  });

  it('differs per object (fresh nonce), so an inherited mark is told from the object’s own', () => {
    expect(ownerMark(key, fields)).not.toBe(ownerMark(key, fields));
  });

  it('rejects malformed and forged marks', () => {
    for (const mark of [undefined, '', 'yes', 'v1::', `v1:${'0'.repeat(16)}:${'0'.repeat(32)}`, `v2:${'a'.repeat(16)}:${'b'.repeat(32)}`]) {
      expect(verifyOwnerMark(mark, fields, [key])).toBe(false);
    }
    expect(isWellFormedMark('sidekick')).toBe(false);
  });
});
