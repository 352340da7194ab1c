/**
 * The frames port-forward's relay (native/sidekick-relay.c) speaks on its Unix socket:
 * u8 type, u32 big-endian length, payload. Frames keep apart what a byte stream cannot:
 * an orderly close (FIN) from a failure (RST), both ways.
 */
export const FrameType = {
  OPEN: 1,
  DATA: 2,
  FIN: 3,
  RST: 4,
  CONNECTED: 5,
  REFUSED: 6,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

export const FRAME_HEADER = 5;
/** The largest payload the relay takes in one frame. */
export const MAX_PAYLOAD = 64 * 1024;

export interface Frame {
  type: number;
  payload: Buffer;
}

export function encodeFrame(type: FrameType, payload: Buffer = Buffer.alloc(0)): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  frame[0] = type;
  frame.writeUInt32BE(payload.length, 1);
  payload.copy(frame, FRAME_HEADER);
  return frame;
}

export function openFrame(port: number): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(port);
  return encodeFrame(FrameType.OPEN, payload);
}

/** Splits a stream of bytes into frames, whatever the chunk boundaries. */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingLength = 0;

  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingLength += chunk.length;
    const frames: Frame[] = [];
    let buffer = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingLength);
    let at = 0;
    while (buffer.length - at >= FRAME_HEADER) {
      const length = buffer.readUInt32BE(at + 1);
      if (length > MAX_PAYLOAD) throw new Error(`the relay sent a frame of ${length} bytes`);
      if (buffer.length - at < FRAME_HEADER + length) break;
      frames.push({ type: buffer[at]!, payload: buffer.subarray(at + FRAME_HEADER, at + FRAME_HEADER + length) });
      at += FRAME_HEADER + length;
    }
    buffer = buffer.subarray(at);
    this.pending = buffer.length > 0 ? [buffer] : [];
    this.pendingLength = buffer.length;
    return frames;
  }
}
