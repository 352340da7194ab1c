/**
 * A plain tar file read twice without being parsed twice (docs/BENCHMARKS.md, "inject --os:
 * where the time goes"): `scanTarSpans` reads only the header records, seeking past file data,
 * and notes where each entry's bytes lie; `sendTarSpans` then sends the byte ranges of the
 * entries a plan keeps, as they are, in large reads. Headers are read by the same rules as the
 * streaming filter (tar-filter.ts, Go's archive/tar), and every header byte sent is compared
 * with what the scan read: a file changed in between fails the send before those bytes go, so
 * the engine never unpacks an entry the plan did not decide on.
 */
import { read, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { TarHeaderReader, type RawEntry } from './tar-filter.js';

const BLOCK = 512;
/**
 * The scan's reads: most entries of a rootfs are small and a header follows their data within
 * this, while a large file's data is skipped. 16 KiB reads 37 MB of a 157 MB Debian rootfs in
 * 2,253 reads; 1 MiB would read 128 MB.
 */
const SCAN_WINDOW = 16 * 1024;
/** The send's reads: large, the data goes out as it is. */
const SEND_WINDOW = 1 << 20;

/** Where one record group lies in the file: an entry with its pax/long-name records, or a global header. */
export interface TarSpan {
  /** Undefined for a global header, which applies to all that follows and is always sent. */
  entry: RawEntry | undefined;
  /** Offset of the first metadata record (or of the header when there is none). */
  start: number;
  /** Offset just past the header: [start, dataStart) is what the scan read and the send checks. */
  dataStart: number;
  /** Offset past the padded data. */
  end: number;
  /** Where the bytes of [start, dataStart), as the scan read them, are in `TarScan.heads`. */
  headAt: number;
}

export interface TarScan {
  spans: TarSpan[];
  /** Every span's header bytes, one after the other (one buffer: thousands of small ones cost the scan its time in the GC). */
  heads: Buffer;
}

/** Fills `target` with the bytes at `offset` as far as the file goes; returns how many it read. */
export type ReadInto = (target: Buffer, offset: number) => number;

/** Every entry of the tar, in order, up to its end-of-archive record (or the end of the file). */
export function scanTarSpans(readInto: ReadInto): TarScan {
  const reader = new TarHeaderReader();
  const window = windowedReader(readInto);
  const heads = new ByteArena();
  const spans: TarSpan[] = [];
  let offset = 0;
  let groupStart = 0;
  let groupHeadAt = 0;
  for (;;) {
    const block = window(offset, BLOCK);
    // The file may end without end-of-archive records, but not inside an entry's data.
    if (block.length === 0 && offset === groupStart && (offset === 0 || window(offset - 1, 1).length === 1)) return { spans, heads: heads.bytes() };
    if (block.length < BLOCK) throw new Error('the tar stream ended in the middle of an entry');
    // Kept before anything else is read: the window's buffer is reused by the next read.
    const header = heads.append(block);
    const step = reader.header(header);
    if (step.kind === 'end') {
      if (offset !== groupStart) throw new Error('the tar stream ended in the middle of an entry');
      return { spans, heads: heads.bytes() };
    }
    const dataStart = offset + BLOCK;
    const end = dataStart + step.paddedSize;
    if (step.kind === 'meta') {
      const data = window(dataStart, step.paddedSize);
      if (data.length < step.paddedSize) throw new Error('the tar stream ended in the middle of an entry');
      heads.append(data);
      if (reader.metaData(data).global) {
        spans.push({ entry: undefined, start: groupStart, dataStart: end, end, headAt: groupHeadAt });
        groupStart = end;
        groupHeadAt = heads.length;
      }
      offset = end;
      continue;
    }
    spans.push({ entry: step.entry, start: groupStart, dataStart, end, headAt: groupHeadAt });
    offset = groupStart = end;
    groupHeadAt = heads.length;
  }
}

/** A growing buffer that bytes are appended to; `append` returns the copy, valid until the next append. */
class ByteArena {
  private buffer = Buffer.allocUnsafe(1 << 20);
  length = 0;

  append(bytes: Buffer): Buffer {
    if (this.length + bytes.length > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes.length));
      this.buffer.copy(grown, 0, 0, this.length);
      this.buffer = grown;
    }
    bytes.copy(this.buffer, this.length);
    this.length += bytes.length;
    return this.buffer.subarray(this.length - bytes.length, this.length);
  }

  bytes(): Buffer {
    return this.buffer.subarray(0, this.length);
  }
}

/** Positioned reads of an open file, for `scanTarSpans`. */
export function fileReadInto(fd: number): ReadInto {
  return (target, offset) => {
    let filled = 0;
    while (filled < target.length) {
      const bytesRead = readSync(fd, target, filled, target.length - filled, offset + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return filled;
  };
}

/**
 * Reads of up to `length` bytes at `offset` (fewer only at the end of the file), served from
 * one larger read (SCAN_WINDOW) into one buffer: what it returns is valid until the next call.
 */
function windowedReader(readInto: ReadInto): (offset: number, length: number) => Buffer {
  let base = 0;
  let filled = 0;
  let buffer = Buffer.allocUnsafe(SCAN_WINDOW);
  return (offset, length) => {
    if (offset >= base && offset + length <= base + filled) return buffer.subarray(offset - base, offset - base + length);
    if (length > buffer.length) buffer = Buffer.allocUnsafe(length);
    base = offset;
    filled = readInto(buffer, offset);
    return buffer.subarray(0, Math.min(length, filled));
  };
}

export interface TarSendPlan {
  /** Byte ranges of the file to send, in order, adjacent ones merged. */
  ranges: Array<{ start: number; end: number }>;
  /** The header bytes sent, to compare with `heads` at `headAt` as the scan read them. */
  checks: Array<{ offset: number; length: number; headAt: number }>;
  heads: Buffer;
}

/** The ranges of the spans `keep` accepts (global headers always), with the header bytes to check again as they go out. */
export function planTarSend(scan: TarScan, keep: (span: TarSpan, index: number) => boolean): TarSendPlan {
  const ranges: TarSendPlan['ranges'] = [];
  const checks: TarSendPlan['checks'] = [];
  scan.spans.forEach((span, index) => {
    if (span.entry !== undefined && !keep(span, index)) return;
    const last = ranges[ranges.length - 1];
    if (last !== undefined && last.end === span.start) last.end = span.end;
    else ranges.push({ start: span.start, end: span.end });
    checks.push({ offset: span.start, length: span.dataStart - span.start, headAt: span.headAt });
  });
  return { ranges, checks, heads: scan.heads };
}

const readAsync = promisify(read);

/**
 * `prelude`, then the planned ranges of the file open at `fd`, then the end-of-archive records.
 * Each header group is compared with `checks` before it is pushed; a difference fails the stream.
 */
export function sendTarSpans(fd: number, plan: TarSendPlan, prelude: Buffer): Readable {
  let range = 0;
  let position = plan.ranges[0]?.start ?? 0;
  let check = 0;
  let stage: 'prelude' | 'body' | 'done' = 'prelude';
  return new Readable({
    highWaterMark: SEND_WINDOW,
    read() {
      void (async () => {
        if (stage === 'prelude') {
          stage = 'body';
          if (prelude.length > 0) {
            this.push(prelude);
            return;
          }
        }
        if (stage === 'done') return;
        const current = plan.ranges[range];
        if (current === undefined) {
          stage = 'done';
          this.push(Buffer.alloc(2 * BLOCK));
          this.push(null);
          return;
        }
        let until = Math.min(current.end, position + SEND_WINDOW);
        // A header group is checked whole: the window grows to hold one that starts inside it.
        for (let i = check; i < plan.checks.length && plan.checks[i]!.offset < until; i++) {
          until = Math.max(until, Math.min(current.end, plan.checks[i]!.offset + plan.checks[i]!.length));
        }
        const buffer = Buffer.allocUnsafe(until - position);
        let filled = 0;
        while (filled < buffer.length) {
          const { bytesRead } = await readAsync(fd, buffer, filled, buffer.length - filled, position + filled);
          if (bytesRead === 0) throw new Error('the tar file is shorter than when it was read');
          filled += bytesRead;
        }
        for (; check < plan.checks.length && plan.checks[check]!.offset < until; check++) {
          const { offset, length, headAt } = plan.checks[check]!;
          if (buffer.compare(plan.heads, headAt, headAt + length, offset - position, offset - position + length) !== 0) {
            throw new Error('the tar file changed while it was being sent');
          }
        }
        position = until;
        if (position >= current.end) {
          range++;
          position = plan.ranges[range]?.start ?? position;
        }
        this.push(buffer);
      })().catch((error: unknown) => this.destroy(error as Error));
    },
  });
}
