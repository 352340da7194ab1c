import { type ProblemLog } from './parse-result.js';

// Non-UTF-8 bytes become U+FFFD rather than an error; ignoreBOM keeps a leading EF BB BF visible.
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Turns parser input into text, reporting (not throwing on) anything that is neither. */
export function toText(input: unknown, log: ProblemLog): string {
  if (typeof input === 'string') return input;
  if (input instanceof Uint8Array) return utf8.decode(input);
  log.add(`expected text or bytes, got ${input === null ? 'null' : typeof input}`);
  return '';
}

/** Splits on LF, drops a CR before it, and drops the empty piece after a final newline. */
export function splitLines(text: string): string[] {
  const lines = text.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function splitFields(line: string): string[] {
  const trimmed = line.trim();
  return trimmed === '' ? [] : trimmed.split(/[ \t]+/);
}
