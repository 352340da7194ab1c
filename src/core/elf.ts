/**
 * Tells a statically linked ELF executable from a dynamically linked one, from its
 * header and program headers alone: a dynamic executable has a PT_INTERP segment (the
 * path of its loader). A static toolbox is what makes the no-write chroot view possible.
 */
export type ElfLinkage = 'static' | 'dynamic' | 'not-elf';

const PT_INTERP = 3;

export function elfLinkage(header: Buffer): ElfLinkage {
  if (header.length < 64 || header.readUInt32BE(0) !== 0x7f454c46) return 'not-elf';
  const is64 = header[4] === 2;
  const little = header[5] === 1;
  const u16 = (at: number): number => (little ? header.readUInt16LE(at) : header.readUInt16BE(at));
  const u32 = (at: number): number => (little ? header.readUInt32LE(at) : header.readUInt32BE(at));
  const offset = is64 ? Number(little ? header.readBigUInt64LE(32) : header.readBigUInt64BE(32)) : u32(28);
  const entrySize = u16(is64 ? 54 : 42);
  const count = u16(is64 ? 56 : 44);
  if (entrySize === 0) return 'not-elf';
  for (let i = 0; i < count; i++) {
    const at = offset + i * entrySize;
    if (at + 4 > header.length) return 'not-elf';
    if (u32(at) === PT_INTERP) return 'dynamic';
  }
  return 'static';
}

/** The path in PT_INTERP (the loader a dynamic executable names); undefined when there is none in `header`. */
export function elfInterpreter(header: Buffer): string | undefined {
  if (header.length < 64 || header.readUInt32BE(0) !== 0x7f454c46) return undefined;
  const is64 = header[4] === 2;
  const little = header[5] === 1;
  const u16 = (at: number): number => (little ? header.readUInt16LE(at) : header.readUInt16BE(at));
  const u32 = (at: number): number => (little ? header.readUInt32LE(at) : header.readUInt32BE(at));
  const u64 = (at: number): number => Number(little ? header.readBigUInt64LE(at) : header.readBigUInt64BE(at));
  const offset = is64 ? u64(32) : u32(28);
  const entrySize = u16(is64 ? 54 : 42);
  const count = u16(is64 ? 56 : 44);
  for (let i = 0; i < count; i++) {
    const at = offset + i * entrySize;
    if (entrySize === 0 || at + entrySize > header.length) return undefined;
    if (u32(at) !== PT_INTERP) continue;
    const start = is64 ? u64(at + 8) : u32(at + 4);
    const size = is64 ? u64(at + 32) : u32(at + 16);
    if (start + size > header.length) return undefined;
    return header.subarray(start, start + size).toString('latin1').replace(/\0.*$/s, '');
  }
  return undefined;
}
