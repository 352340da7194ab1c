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
