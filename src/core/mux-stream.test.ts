import { describe, expect, it } from 'vitest';
import { encodeMuxFrame, MuxDecoder } from './mux-stream.js';

describe('MuxDecoder', () => {
  const stream = Buffer.concat([
    encodeMuxFrame(1, Buffer.from('hello ')),
    encodeMuxFrame(2, Buffer.from('oops\n')),
    encodeMuxFrame(1, Buffer.alloc(0)),
    encodeMuxFrame(1, Buffer.from([0, 255, 10, 13])),
  ]);

  it('decodes whole frames in order, keeping stdout and stderr apart', () => {
    const frames = new MuxDecoder().push(stream);
    expect(frames.map((f) => [f.stream, f.payload.toString('hex')])).toEqual([
      [1, Buffer.from('hello ').toString('hex')],
      [2, Buffer.from('oops\n').toString('hex')],
      [1, ''],
      [1, '00ff0a0d'],
    ]);
  });

  it('gives the same frames whatever the chunking, down to one byte at a time', () => {
    for (const size of [1, 3, 7, 8, 9, 13]) {
      const decoder = new MuxDecoder();
      const frames = [];
      for (let at = 0; at < stream.length; at += size) frames.push(...decoder.push(stream.subarray(at, at + size)));
      expect(Buffer.concat(frames.filter((f) => f.stream === 1).map((f) => f.payload))).toEqual(
        Buffer.concat([Buffer.from('hello '), Buffer.from([0, 255, 10, 13])]),
      );
      expect(decoder.bufferedBytes).toBe(0);
    }
  });

  it('keeps a truncated frame buffered instead of inventing data', () => {
    const decoder = new MuxDecoder();
    expect(decoder.push(encodeMuxFrame(1, Buffer.from('abcdef')).subarray(0, 11))).toEqual([]);
    expect(decoder.bufferedBytes).toBe(11);
  });

  it('rejects bytes that are not a multiplexed stream (a TTY stream read as one)', () => {
    expect(() => new MuxDecoder().push(Buffer.from('plain text output\n'))).toThrow(/not a multiplexed stream/);
  });

  it('handles a large frame split across many chunks', () => {
    const payload = Buffer.alloc(200_000, 7);
    const encoded = encodeMuxFrame(1, payload);
    const decoder = new MuxDecoder();
    const frames = [];
    for (let at = 0; at < encoded.length; at += 65_536) frames.push(...decoder.push(encoded.subarray(at, at + 65_536)));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.payload.equals(payload)).toBe(true);
  });
});
