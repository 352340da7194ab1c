import { describe, expect, it } from 'vitest';
import { FrameDecoder, FrameType, encodeFrame, frameHeader, openFrame } from './relay-frames.js';

describe('relay frames', () => {
  it('decodes frames cut at every byte boundary, DATA in pieces that add up', () => {
    const data = Buffer.from('hello, relay');
    const stream = Buffer.concat([
      encodeFrame(FrameType.CONNECTED),
      frameHeader(FrameType.DATA, data.length),
      data,
      encodeFrame(FrameType.RST, Buffer.from('Connection reset by peer')),
    ]);
    for (let cut = 1; cut < stream.length; cut++) {
      const decoder = new FrameDecoder();
      const frames = [...decoder.push(stream.subarray(0, cut)), ...decoder.push(stream.subarray(cut))];
      expect(frames[0]).toEqual({ type: FrameType.CONNECTED, payload: Buffer.alloc(0) });
      const payload = Buffer.concat(frames.filter((frame) => frame.type === FrameType.DATA).map((frame) => frame.payload));
      expect(payload.toString()).toBe('hello, relay');
      expect(frames.at(-1)).toEqual({ type: FrameType.RST, payload: Buffer.from('Connection reset by peer') });
    }
  });

  it('refuses a frame longer than the relay ever sends', () => {
    expect(() => new FrameDecoder().push(frameHeader(FrameType.DATA, 16 * 1024 * 1024))).toThrow(/frame of 16777216 bytes/);
  });

  it('asks for a port in two bytes, big-endian', () => {
    expect([...openFrame(8080)]).toEqual([FrameType.OPEN, 0, 0, 0, 2, 0x1f, 0x90]);
  });
});
