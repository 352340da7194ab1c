/**
 * Strict number parsing for kernel fields. `Number()` and `parseInt()` accept "", " 1",
 * "1e3", "0x1f" and "12abc"; a field that is not exactly digits is a malformed field.
 * Lengths are capped before conversion because BigInt() on a megabyte of digits is slow.
 */
const DECIMAL = /^[0-9]{1,20}$/;
const SIGNED_DECIMAL = /^-?[0-9]{1,20}$/;
const HEX = /^[0-9a-fA-F]{1,16}$/;
const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffff_ffff;

/** A non-negative decimal that fits a JavaScript number exactly. */
export function parseDecimal(text: string | undefined): number | undefined {
  if (text === undefined || !DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

export function parseSignedDecimal(text: string | undefined): number | undefined {
  if (text === undefined || !SIGNED_DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** A uid, gid or other 32-bit unsigned id. */
export function parseU32(text: string | undefined): number | undefined {
  const value = parseDecimal(text);
  return value !== undefined && value <= U32_MAX ? value : undefined;
}

export function parseDecimalU64(text: string | undefined): bigint | undefined {
  if (text === undefined || !DECIMAL.test(text)) return undefined;
  const value = BigInt(text);
  return value <= U64_MAX ? value : undefined;
}

export function parseHex(text: string | undefined): number | undefined {
  if (text === undefined || !HEX.test(text)) return undefined;
  const value = Number.parseInt(text, 16);
  return Number.isSafeInteger(value) ? value : undefined;
}

export function parseHexU64(text: string | undefined): bigint | undefined {
  if (text === undefined || !HEX.test(text)) return undefined;
  return BigInt(`0x${text}`);
}
