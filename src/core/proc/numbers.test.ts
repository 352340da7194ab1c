import { describe, expect, it } from 'vitest';
import { parseDecimal, parseDecimalU64, parseHex, parseHexU64, parseSignedDecimal, parseU32 } from './numbers.js';

describe('parseDecimal', () => {
  it('reads plain digits', () => {
    expect(parseDecimal('0')).toBe(0);
    expect(parseDecimal('4194304')).toBe(4194304);
  });

  it.each(['', ' 1', '1 ', '+1', '-1', '1e3', '0x1f', '12abc', '1.5', '99999999999999999999', '1'.repeat(10_000)])(
    'rejects %j',
    (text) => expect(parseDecimal(text)).toBeUndefined(),
  );

  it('rejects values a number cannot hold exactly', () => {
    expect(parseDecimal('9007199254740991')).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseDecimal('9007199254740992')).toBeUndefined();
  });
});

describe('parseSignedDecimal', () => {
  it('reads negative values', () => {
    expect(parseSignedDecimal('-1')).toBe(-1);
    expect(parseSignedDecimal('--1')).toBeUndefined();
  });
});

describe('parseU32', () => {
  it('accepts the whole 32-bit range and nothing past it', () => {
    expect(parseU32('4294967295')).toBe(4294967295);
    expect(parseU32('4294967296')).toBeUndefined();
  });
});

describe('parseDecimalU64', () => {
  it('reads 64-bit values exactly', () => {
    expect(parseDecimalU64('18446744073709551615')).toBe(18446744073709551615n);
    expect(parseDecimalU64('18446744073709551616')).toBeUndefined();
    expect(parseDecimalU64('9'.repeat(100_000))).toBeUndefined();
  });
});

describe('parseHex', () => {
  it('reads hex of either case', () => {
    expect(parseHex('1F90')).toBe(8080);
    expect(parseHex('0a')).toBe(10);
    expect(parseHex('g')).toBeUndefined();
    expect(parseHex('')).toBeUndefined();
  });

  it('reads 64-bit masks as bigint', () => {
    expect(parseHexU64('ffffffffffffffff')).toBe(0xffffffffffffffffn);
    expect(parseHexU64('1ffffffffffffffff')).toBeUndefined();
  });
});
