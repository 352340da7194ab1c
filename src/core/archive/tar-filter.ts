/**
 * A pass-through tar filter: parses the 512-byte records of a tar stream just enough to know
 * each entry's name, type and link (ustar prefix, GNU long names, pax path/linkpath), and copies
 * the raw bytes of the entries a predicate keeps — metadata records included, nothing
 * re-encoded. An `inject --os` sends a 150 MB rootfs through it; re-packing entry by entry with
 * tar-stream cost more than the engine's own extraction. File data is streamed, never held.
 *
 * Because the bytes pass unchanged, the engine (Go's archive/tar) must read the output exactly
 * as this filter read it, or an entry it checked is not the entry the engine writes. So the
 * header is read by Go's rules where they differ from a naive reading: a GNU long name wins
 * over a pax path, a pax record with an empty value is ignored, each pax header replaces the
 * one before it and a global header ends both, a pax `size` sets the data length, link,
 * directory, device and FIFO entries carry no data whatever their size field says, a
 * type-'\0' entry whose name ends in "/" is a directory, the name prefix exists only in
 * USTAR/PAX (155 bytes) and star (131 bytes) headers, and numbers are parsed as Go does.
 */
import { Transform, type TransformCallback } from 'node:stream';

export type RawEntryType = 'file' | 'hardlink' | 'symlink' | 'directory' | 'other';

export interface RawEntry {
  /** The name as stored (after long-name and pax records), e.g. "./usr/bin/apt". */
  name: string;
  type: RawEntryType;
  linkname: string;
  size: number;
  /** The entry's pax records hold GNU sparse-file keys, which change its name and data in ways this filter does not follow. */
  gnuSparse: boolean;
}

const BLOCK = 512;
const FLUSH_AT = 256 * 1024;

/**
 * A Transform from tar bytes to tar bytes holding the kept entries, closed by the two zero
 * records of a tar's end. `prelude` (complete tar records, no end marker) goes first.
 */
export function filterTar(keep: (entry: RawEntry) => boolean, prelude: Buffer = Buffer.alloc(0)): Transform {
  return new TarFilter(keep, prelude);
}

/** Lists the entries of a tar stream without keeping any bytes. */
export async function listTar(input: NodeJS.ReadableStream): Promise<RawEntry[]> {
  const entries: RawEntry[] = [];
  const filter = new TarFilter((entry) => {
    entries.push(entry);
    return false;
  }, Buffer.alloc(0));
  input.on('error', (error: Error) => filter.destroy(error));
  input.pipe(filter);
  for await (const chunk of filter) void chunk;
  return entries;
}

/** What a 512-byte header record starts. */
export type HeaderStep =
  | { kind: 'end' }
  /** A pax, GNU long-name or global record: `paddedSize` bytes of its data follow, for `metaData`. */
  | { kind: 'meta'; paddedSize: number }
  | { kind: 'entry'; entry: RawEntry; paddedSize: number };

/**
 * The header rules of Go's archive/tar (see the module comment), shared by the streaming filter
 * and the seeking scan (tar-spans.ts): fed each header record and each metadata entry's data,
 * it says what the record starts and keeps the pax and long-name state between records.
 */
export class TarHeaderReader {
  private longName: string | undefined;
  private longLink: string | undefined;
  private paxPath: string | undefined;
  private paxLink: string | undefined;
  private paxSize: number | undefined;
  private paxSparse = false;
  private metaKind: string | undefined;
  private metaSize = 0;

  header(header: Buffer): HeaderStep {
    if (isZeroBlock(header)) return { kind: 'end' };
    verifyChecksum(header);
    const flag = String.fromCharCode(header[156] ?? 0x30);
    const headerSize = parseNumber(header.subarray(124, 136));
    if (flag === 'x' || flag === 'L' || flag === 'K' || flag === 'g') {
      this.metaKind = flag;
      this.metaSize = headerSize;
      return { kind: 'meta', paddedSize: Math.ceil(headerSize / BLOCK) * BLOCK };
    }
    // Go: the GNU long name is applied after the pax records, so it wins.
    const name = this.longName || this.paxPath || ustarName(header);
    let type = entryType(flag);
    if (flag === '\0' && name.endsWith('/')) type = 'directory';
    const size = isHeaderOnly(flag, type) ? 0 : (this.paxSize ?? headerSize);
    const entry: RawEntry = {
      name,
      type,
      linkname: this.longLink || this.paxLink || cString(header.subarray(157, 257)),
      size,
      gnuSparse: this.paxSparse,
    };
    this.resetMeta();
    return { kind: 'entry', entry, paddedSize: Math.ceil(size / BLOCK) * BLOCK };
  }

  /**
   * The (padded) data of the metadata record `header` announced: remembered for the next entry.
   * True for a global header, which applies to every entry after it and which Go returns as an
   * entry of its own, forgetting the pax and long-name records read before it.
   */
  metaData(raw: Buffer): { global: boolean } {
    const body = raw.subarray(0, this.metaSize);
    const kind = this.metaKind;
    this.metaKind = undefined;
    if (kind === 'L') this.longName = cString(body);
    else if (kind === 'K') this.longLink = cString(body);
    else if (kind === 'x') {
      // Go keeps only the last pax header before an entry, and ignores records with empty values.
      const records = parsePax(body);
      this.paxPath = records.path || undefined;
      this.paxLink = records.linkpath || undefined;
      this.paxSize = undefined;
      if (records.size) {
        if (!/^[0-9]+$/.test(records.size) || !Number.isSafeInteger(Number(records.size))) throw new Error(`the tar stream has a bad pax size ${JSON.stringify(records.size)}`);
        this.paxSize = Number(records.size);
      }
      this.paxSparse = Object.keys(records).some((key) => key.startsWith('GNU.sparse.'));
    } else if (kind === 'g') {
      this.resetMeta();
      return { global: true };
    }
    return { global: false };
  }

  private resetMeta(): void {
    this.longName = this.longLink = this.paxPath = this.paxLink = undefined;
    this.paxSize = undefined;
    this.paxSparse = false;
  }
}

class TarFilter extends Transform {
  private pending = Buffer.alloc(0);
  private readonly reader = new TarHeaderReader();
  /** Records (pax, GNU long name) that belong to the next entry. */
  private meta: Buffer[] = [];
  /** Bytes of the current entry's data (padded) still to pass or skip. */
  private remaining = 0;
  private keeping = false;
  /** Collecting a metadata entry's data into `metaData` rather than passing it. */
  private inMeta = false;
  private metaData: Buffer[] = [];
  private ended = false;
  private out: Buffer[] = [];
  private outSize = 0;

  constructor(
    private readonly keep: (entry: RawEntry) => boolean,
    prelude: Buffer,
  ) {
    super();
    if (prelude.length > 0) this.emit_(prelude);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.consume(chunk);
      this.flushOut(false);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    if (!this.ended && (this.remaining > 0 || this.pending.length > 0)) {
      callback(new Error('the tar stream ended in the middle of an entry'));
      return;
    }
    this.emit_(Buffer.alloc(2 * BLOCK));
    this.flushOut(true);
    callback();
  }

  private emit_(bytes: Buffer): void {
    this.out.push(bytes);
    this.outSize += bytes.length;
  }

  private flushOut(force: boolean): void {
    if (this.outSize === 0 || (!force && this.outSize < FLUSH_AT)) return;
    this.push(this.out.length === 1 ? this.out[0] : Buffer.concat(this.out, this.outSize));
    this.out = [];
    this.outSize = 0;
  }

  private consume(chunk: Buffer): void {
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = Buffer.alloc(0);
    while (data.length > 0) {
      if (this.ended) return;
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, data.length);
        const part = data.subarray(0, take);
        if (this.inMeta) this.metaData.push(part);
        else if (this.keeping) this.emit_(part);
        this.remaining -= take;
        data = data.subarray(take);
        if (this.remaining === 0 && this.inMeta) this.finishMeta();
        continue;
      }
      if (data.length < BLOCK) {
        this.pending = Buffer.from(data);
        return;
      }
      const header = data.subarray(0, BLOCK);
      data = data.subarray(BLOCK);
      this.header(Buffer.from(header));
    }
  }

  private header(header: Buffer): void {
    const step = this.reader.header(header);
    if (step.kind === 'end') {
      this.ended = true;
      return;
    }
    if (step.kind === 'meta') {
      this.meta.push(header);
      this.inMeta = true;
      this.metaData = [];
      this.remaining = step.paddedSize;
      if (step.paddedSize === 0) this.finishMeta();
      return;
    }
    this.keeping = this.keep(step.entry);
    if (this.keeping) {
      for (const record of this.meta) this.emit_(record);
      this.emit_(header);
    }
    this.meta = [];
    this.remaining = step.paddedSize;
  }

  /** A metadata entry's data is complete: the reader remembers what it says; its bytes wait for the next entry. */
  private finishMeta(): void {
    const raw = Buffer.concat(this.metaData);
    this.meta.push(raw);
    this.inMeta = false;
    this.metaData = [];
    if (this.reader.metaData(raw).global) {
      // A global header is always passed on, with whatever records came before it.
      for (const record of this.meta) this.emit_(record);
      this.meta = [];
    }
  }
}

function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** Go's isHeaderOnlyType: these entries have no data, whatever their size field says. */
function isHeaderOnly(flag: string, type: RawEntryType): boolean {
  return type === 'directory' || ['1', '2', '3', '4', '5', '6'].includes(flag);
}

function entryType(flag: string): RawEntryType {
  switch (flag) {
    case '0':
    case '\0':
    case '7':
      return 'file';
    case '1':
      return 'hardlink';
    case '2':
      return 'symlink';
    case '5':
      return 'directory';
    default:
      return 'other';
  }
}

/** Go's getFormat: the prefix field exists only in USTAR/PAX ("ustar\0") and star headers. */
function ustarName(header: Buffer): string {
  const name = cString(header.subarray(0, 100));
  if (!bytesAre(header, 257, USTAR_MAGIC)) return name;
  const star = bytesAre(header, 508, STAR_TRAILER);
  const prefix = cString(header.subarray(345, star ? 345 + 131 : 500));
  return prefix ? `${prefix}/${name}` : name;
}

const USTAR_MAGIC = Buffer.from('ustar\0', 'latin1');
const STAR_TRAILER = Buffer.from('tar\0', 'latin1');

/** Compared in place: this runs for every header of a rootfs, and a string per field costs the GC. */
function bytesAre(header: Buffer, at: number, expected: Buffer): boolean {
  for (let i = 0; i < expected.length; i++) if (header[at + i] !== expected[i]) return false;
  return true;
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? bytes.length : end).toString('utf8');
}

/** Go's parseNumeric: base-256 when the high bit of the first byte is set, else octal padded with spaces and NULs. */
function parseNumber(field: Buffer): number {
  if ((field[0] ?? 0) & 0x80) {
    if ((field[0] ?? 0) & 0x40) throw new Error('the tar stream has a negative number field');
    let value = 0;
    for (let i = 0; i < field.length; i++) {
      const byte = i === 0 ? (field[i] ?? 0) & 0x7f : (field[i] ?? 0);
      value = value * 256 + byte;
      if (!Number.isSafeInteger(value)) throw new Error('the tar stream has a number field too large');
    }
    return value;
  }
  const text = cString(trimField(field));
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text) || !Number.isSafeInteger(parseInt(text, 8))) throw new Error(`the tar stream has a bad number field ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

/** bytes.Trim(b, " \x00"). */
function trimField(field: Buffer): Buffer {
  let start = 0;
  let end = field.length;
  while (start < end && (field[start] === 0x20 || field[start] === 0)) start++;
  while (end > start && (field[end - 1] === 0x20 || field[end - 1] === 0)) end--;
  return field.subarray(start, end);
}

function verifyChecksum(header: Buffer): void {
  // Summed with the checksum field counted as spaces, both as unsigned and as signed bytes.
  let unsigned = 0;
  let high = 0;
  for (let i = 0; i < BLOCK; i++) {
    const byte = header[i]!;
    unsigned += byte;
    high += byte >> 7;
  }
  for (let i = 148; i < 156; i++) {
    const byte = header[i]!;
    unsigned += 0x20 - byte;
    high -= byte >> 7;
  }
  const signed = unsigned - 0x100 * high;
  const field = cString(trimField(header.subarray(148, 156)));
  const stored = /^[0-7]+$/.test(field) ? parseInt(field, 8) : NaN;
  if (stored !== unsigned && stored !== signed) throw new Error('the stream is not a tar archive (header checksum mismatch)');
}

/** "LEN key=value\n" records. */
function parsePax(body: Buffer): Record<string, string> {
  const result: Record<string, string> = {};
  let offset = 0;
  while (offset < body.length) {
    const space = body.indexOf(0x20, offset);
    if (space < 0) break;
    const length = Number(body.subarray(offset, space).toString('latin1'));
    if (!Number.isSafeInteger(length) || length <= 0) break;
    const record = body.subarray(space + 1, offset + length - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals > 0) result[record.slice(0, equals)] = record.slice(equals + 1);
    offset += length;
  }
  return result;
}
