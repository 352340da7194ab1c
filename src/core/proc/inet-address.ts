/**
 * Addresses in /proc/net/{tcp,udp}{,6}: the kernel prints the address bytes as 32-bit words
 * in host byte order, so on little-endian machines (x86-64, arm64: all Docker hosts we know
 * of) each group of 8 hex digits is byte-reversed. 127.0.0.1 is "0100007F".
 */
export type InetFamily = 'ipv4' | 'ipv6';

export interface InetAddress {
  family: InetFamily;
  address: string;
}

const HEX_WORDS = /^(?:[0-9a-fA-F]{8}){1,4}$/;

/** Decodes 8 hex digits (IPv4) or 32 (IPv6); anything else is undefined. */
export function decodeKernelAddress(hex: string): InetAddress | undefined {
  if (!HEX_WORDS.test(hex)) return undefined;
  if (hex.length === 8) return { family: 'ipv4', address: formatIpv4(wordBytes(hex)) };
  if (hex.length === 32) return { family: 'ipv6', address: formatIpv6(wordBytes(hex)) };
  return undefined;
}

function wordBytes(hex: string): number[] {
  const bytes: number[] = [];
  for (let word = 0; word < hex.length; word += 8) {
    for (let byte = 3; byte >= 0; byte -= 1) {
      bytes.push(Number.parseInt(hex.slice(word + byte * 2, word + byte * 2 + 2), 16));
    }
  }
  return bytes;
}

export function formatIpv4(bytes: readonly number[]): string {
  return bytes.join('.');
}

/** RFC 5952 text: lower case, no leading zeros, the longest run of 2+ zero groups as "::". */
export function formatIpv6(bytes: readonly number[]): string {
  if (isIpv4Mapped(bytes)) return `::ffff:${formatIpv4(bytes.slice(12))}`;
  const groups: number[] = [];
  for (let index = 0; index < 16; index += 2) groups.push(((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0));
  const run = longestZeroRun(groups);
  const text = groups.map((group) => group.toString(16));
  if (run.length < 2) return text.join(':');
  const head = text.slice(0, run.start).join(':');
  const tail = text.slice(run.start + run.length).join(':');
  return `${head}::${tail}`;
}

function isIpv4Mapped(bytes: readonly number[]): boolean {
  return bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
}

// The first of equally long runs wins, as RFC 5952 section 4.2.3 asks.
function longestZeroRun(groups: readonly number[]): { start: number; length: number } {
  let best = { start: -1, length: 0 };
  let start = -1;
  groups.forEach((group, index) => {
    if (group !== 0) {
      start = -1;
      return;
    }
    if (start < 0) start = index;
    const length = index - start + 1;
    if (length > best.length) best = { start, length };
  });
  return best;
}
