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
export const MAX_PAYLOAD = 256 * 1024;

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

export function frameHeader(type: FrameType, length: number): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER);
  header[0] = type;
  header.writeUInt32BE(length, 1);
  return header;
}

export function openFrame(port: number): Buffer {
  const payload = Buffer.alloc(2);
  payload.writeUInt16BE(port);
  return encodeFrame(FrameType.OPEN, payload);
}

/**
 * Splits a stream of bytes into frames, whatever the chunk boundaries. A DATA frame is handed
 * on in pieces as its bytes arrive (each piece a DATA frame of its own), so that payloads
 * are never copied to be put together; other frames are small and come whole.
 */
export class FrameDecoder {
  private header = Buffer.alloc(FRAME_HEADER);
  private headerHave = 0;
  private type = 0;
  private remaining = -1;
  private body: Buffer[] = [];

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining < 0) {
        const take = Math.min(FRAME_HEADER - this.headerHave, chunk.length - at);
        chunk.copy(this.header, this.headerHave, at, at + take);
        this.headerHave += take;
        at += take;
        if (this.headerHave < FRAME_HEADER) break;
        this.type = this.header[0]!;
        this.remaining = this.header.readUInt32BE(1);
        this.headerHave = 0;
        if (this.remaining > MAX_PAYLOAD) throw new Error(`the relay sent a frame of ${this.remaining} bytes`);
      }
      const take = Math.min(this.remaining, chunk.length - at);
      const piece = chunk.subarray(at, at + take);
      at += take;
      this.remaining -= take;
      if (this.type === FrameType.DATA) {
        if (piece.length > 0) frames.push({ type: FrameType.DATA, payload: piece });
      } else if (piece.length > 0) this.body.push(piece);
      if (this.remaining === 0) {
        if (this.type !== FrameType.DATA) frames.push({ type: this.type, payload: Buffer.concat(this.body) });
        this.body = [];
        this.remaining = -1;
      }
    }
    return frames;
  }
}
