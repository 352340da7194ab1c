import { describe, expect, it } from 'vitest';
import { decodeKernelAddress, formatIpv6 } from './inet-address.js';

describe('decodeKernelAddress', () => {
  it('decodes little-endian IPv4', () => {
    expect(decodeKernelAddress('0100007F')).toEqual({ family: 'ipv4', address: '127.0.0.1' });
    expect(decodeKernelAddress('00000000')).toEqual({ family: 'ipv4', address: '0.0.0.0' });
    expect(decodeKernelAddress('0201A8C0')).toEqual({ family: 'ipv4', address: '192.168.1.2' });
  });

  it('decodes little-endian IPv6 words into compressed text', () => {
    expect(decodeKernelAddress('00000000000000000000000000000000')).toEqual({ family: 'ipv6', address: '::' });
    expect(decodeKernelAddress('00000000000000000000000001000000')?.address).toBe('::1');
    expect(decodeKernelAddress('B80D0120010000000000000001000000')?.address).toBe('2001:db8:0:1::1');
    expect(decodeKernelAddress('000080FE00000000FF76420047333FFE')?.address).toBe('fe80::42:76ff:fe3f:3347');
  });

  it('writes IPv4-mapped addresses with a dotted tail', () => {
    expect(decodeKernelAddress('0000000000000000FFFF00000100007F')?.address).toBe('::ffff:127.0.0.1');
  });

  it.each(['', '0100007', '0100007FF', '0100007G', '0000000000000000000000000000000', '000000000000000000000000', ' 0100007F'])(
    'rejects %j',
    (hex) => expect(decodeKernelAddress(hex)).toBeUndefined(),
  );
});

describe('formatIpv6', () => {
  const bytes = (groups: number[]) => groups.flatMap((group) => [group >> 8, group & 0xff]);

  it('compresses the longest run of zero groups, the first when tied', () => {
    expect(formatIpv6(bytes([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1]))).toBe('2001:db8::1:0:0:1');
    expect(formatIpv6(bytes([0x2001, 0, 0, 1, 0, 0, 0, 1]))).toBe('2001:0:0:1::1');
    expect(formatIpv6(bytes([1, 0, 0, 0, 0, 0, 0, 0]))).toBe('1::');
  });

  it('does not compress a single zero group', () => {
    expect(formatIpv6(bytes([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1]))).toBe('2001:db8:0:1:1:1:1:1');
  });
});
