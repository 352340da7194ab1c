import { afterEach, describe, expect, it, vi } from 'vitest';
import { formatSize, progressLine, type ProgressStream } from './progress-line.js';

function fakeTerminal(isTTY: boolean, columns = 80): ProgressStream & { written: string[] } {
  const written: string[] = [];
  return { isTTY, columns, written, write: (text: string) => written.push(text) > 0 };
}

describe('progressLine', () => {
  afterEach(() => vi.useRealTimers());

  it('writes nothing at all when stderr is not a terminal', () => {
    const stream = fakeTerminal(false);
    const line = progressLine(stream, { tickMs: 0 });
    line.step('taking a snapshot of web');
    line.detail('layer 1');
    line.bytes(1 << 20);
    line.done();
    expect(stream.written).toEqual([]);
  });

  it('draws one line that each update replaces, and erases it when done', () => {
    let clock = 1_000;
    const stream = fakeTerminal(true);
    const line = progressLine(stream, { now: () => clock, minIntervalMs: 100, tickMs: 0 });
    line.step('pulling busybox:1.36');
    clock += 2_500;
    line.detail('a1b2: Downloading [==>   ] 3 MB/10 MB');
    clock += 50;
    line.detail('too soon: not drawn');
    line.done();
    expect(stream.written).toEqual([
      '\r\x1b[Ksidekick: pulling busybox:1.36 (0 s)',
      '\r\x1b[Ksidekick: pulling busybox:1.36: a1b2: Downloading [==>   ] 3 MB/10 MB (2 s)',
      '\r\x1b[K',
    ]);
  });

  it('shows bytes and the rate since the step began', () => {
    let clock = 0;
    const stream = fakeTerminal(true);
    const line = progressLine(stream, { now: () => clock, tickMs: 0 });
    line.step('copying web:/data/big.bin');
    clock = 2_000;
    line.bytes(8 * 1024 * 1024);
    expect(stream.written.at(-1)).toBe('\r\x1b[Ksidekick: copying web:/data/big.bin: 8.0 MiB (4.0 MiB/s) (2 s)');
  });

  it('redraws the elapsed time each second while a step runs with no news', () => {
    vi.useFakeTimers();
    const stream = fakeTerminal(true);
    const line = progressLine(stream, { now: () => Date.now() });
    line.step('taking a snapshot of web');
    vi.advanceTimersByTime(3_000);
    expect(stream.written.at(-1)).toBe('\r\x1b[Ksidekick: taking a snapshot of web (3 s)');
    line.done();
    const count = stream.written.length;
    vi.advanceTimersByTime(5_000);
    expect(stream.written).toHaveLength(count);
  });

  it("never wraps: cut to the terminal's width; and escapes control characters from the target", () => {
    const stream = fakeTerminal(true, 30);
    const line = progressLine(stream, { tickMs: 0, now: () => 0 });
    line.step('copying web:/tmp/\x1b[31mred-and-a-very-long-name');
    const drawn = stream.written[0]!.slice('\r\x1b[K'.length);
    expect(drawn).toHaveLength(29);
    expect(drawn).not.toContain('\x1b');
    expect(drawn.endsWith('…')).toBe(true);
  });

  it('formats sizes', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(1536)).toBe('1.5 KiB');
    expect(formatSize(3 * 1024 ** 3)).toBe('3.0 GiB');
  });
});
