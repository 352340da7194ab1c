/**
 * One updating line on stderr for the steps that take seconds (a toolbox build or pull, the
 * snapshot of a copy, inject --os, a large cp). Drawn only when stderr is a terminal: a script
 * reading stderr sees nothing of it. Each draw replaces the line (`\r` + erase to its end), is
 * cut to the terminal's width so it never wraps, and is terminal-safe (the text may name a
 * target's files). The line is erased when the step is done, so the output after it is clean.
 */
import { formatBytes, terminalSafe } from './terminal-safe.js';

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

export interface ProgressLine {
  /** Starts a step: its text, and the seconds it has taken, redrawn each second. */
  step(text: string): void;
  /** Replaces the current step's detail (a pull's layer status, a build's log line). */
  detail(text: string): void;
  /** Bytes moved so far in the current step, shown with the rate since the step began. */
  bytes(total: number): void;
  /** Erases the line; the next step draws a new one. */
  done(): void;
}

export interface ProgressOptions {
  now?: () => number;
  /** Redraw at most this often for detail and byte updates (the first draw of a step is at once). */
  minIntervalMs?: number;
  /** Redraw the elapsed time this often; 0: never (tests). */
  tickMs?: number;
}

const NOTHING: ProgressLine = { step: () => undefined, detail: () => undefined, bytes: () => undefined, done: () => undefined };

export function progressLine(stream: ProgressStream = process.stderr, options: ProgressOptions = {}): ProgressLine {
  if (stream.isTTY !== true) return NOTHING;
  const now = options.now ?? Date.now;
  const minInterval = options.minIntervalMs ?? 100;
  const tickMs = options.tickMs ?? 1_000;
  let title: string | undefined;
  let detailText = '';
  let started = 0;
  let lastDraw = 0;
  let drawn = false;
  let ticker: ReturnType<typeof setInterval> | undefined;

  const draw = (): void => {
    if (title === undefined) return;
    const seconds = Math.floor((now() - started) / 1000);
    const text = `sidekick: ${title}${detailText === '' ? '' : `: ${detailText}`} (${seconds} s)`;
    // A terminal that does not know its width (0) is taken as 80 columns wide.
    const width = Math.max(20, (stream.columns || 80) - 1);
    stream.write(`\r\x1b[K${cut(terminalSafe(text), width)}`);
    drawn = true;
    lastDraw = now();
  };
  const drawSoon = (): void => {
    if (now() - lastDraw >= minInterval) draw();
  };
  const stopTicker = (): void => {
    if (ticker !== undefined) clearInterval(ticker);
    ticker = undefined;
  };

  return {
    step(text) {
      title = text;
      detailText = '';
      started = now();
      draw();
      stopTicker();
      if (tickMs > 0) {
        ticker = setInterval(draw, tickMs);
        ticker.unref();
      }
    },
    detail(text) {
      detailText = text;
      drawSoon();
    },
    bytes(total) {
      const seconds = (now() - started) / 1000;
      detailText = seconds > 0 ? `${formatSize(total)} (${formatSize(total / seconds)}/s)` : formatSize(total);
      drawSoon();
    },
    done() {
      stopTicker();
      title = undefined;
      detailText = '';
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** 1536 -> "1.5 KiB"; whole bytes below 1 KiB. */
export function formatSize(bytes: number): string {
  return formatBytes(Math.round(bytes));
}
