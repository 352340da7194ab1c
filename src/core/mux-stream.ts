/**
 * Docker's multiplexed stream format (attach/exec/logs without a TTY): each frame is an
 * 8-byte header — stream type (0 stdin, 1 stdout, 2 stderr), three zero bytes, payload
 * size as a big-endian uint32 — followed by the payload. Frames are split across reads
 * arbitrarily, so the decoder keeps what it has not yet consumed.
 */
export type MuxStreamId = 0 | 1 | 2;

export interface MuxFrame {
  stream: MuxStreamId;
  payload: Buffer;
}

export const MUX_HEADER_SIZE = 8;

export class MuxDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  /** Feeds bytes in; returns the frames that are now complete, in order. */
  push(chunk: Buffer): MuxFrame[] {
    if (chunk.length > 0) {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
    }
    const frames: MuxFrame[] = [];
    while (this.pendingBytes >= MUX_HEADER_SIZE) {
      const header = this.peek(MUX_HEADER_SIZE);
      const type = header[0]!;
      if (type > 2) throw new Error(`not a multiplexed stream: frame type ${type}`);
      const size = header.readUInt32BE(4);
      if (this.pendingBytes < MUX_HEADER_SIZE + size) break;
      this.consume(MUX_HEADER_SIZE);
      frames.push({ stream: type as MuxStreamId, payload: this.consume(size) });
    }
    return frames;
  }

  /** Bytes received that do not yet form a whole frame (non-zero at the end means a truncated stream). */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  private peek(size: number): Buffer {
    this.coalesce(size);
    return this.pending[0]!.subarray(0, size);
  }

  private consume(size: number): Buffer {
    if (size === 0) return Buffer.alloc(0);
    this.coalesce(size);
    const head = this.pending[0]!;
    const taken = head.subarray(0, size);
    if (head.length === size) this.pending.shift();
    else this.pending[0] = head.subarray(size);
    this.pendingBytes -= size;
    return taken;
  }

  /** Makes the first buffered chunk at least `size` bytes long, copying only when a frame spans chunks. */
  private coalesce(size: number): void {
    if (this.pending[0]!.length >= size) return;
    const joined = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [joined];
  }
}

export function encodeMuxFrame(stream: MuxStreamId, payload: Buffer): Buffer {
  const header = Buffer.alloc(MUX_HEADER_SIZE);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}
