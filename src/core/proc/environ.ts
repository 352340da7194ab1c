import { type ParseResult, type ProblemLog, type ProcInput, parseSafely } from './parse-result.js';
import { toText } from './text.js';

/** One environment entry. `value` is undefined for an entry without '=' (execve allows it). */
export interface EnvironEntry {
  name: string;
  value: string | undefined;
}

/** /proc/<pid>/environ: NUL-terminated entries, in order, duplicates kept. */
export function parseEnviron(input: ProcInput): ParseResult<EnvironEntry[]> {
  return parseSafely('environ', (log) => readEnviron(toText(input, log), log), () => []);
}

/** Name to value as getenv(3) sees it: the first of duplicate names wins. */
export function environToMap(entries: readonly EnvironEntry[]): Map<string, string> {
  const variables = new Map<string, string>();
  for (const { name, value } of entries) {
    if (value !== undefined && !variables.has(name)) variables.set(name, value);
  }
  return variables;
}

function readEnviron(text: string, log: ProblemLog): EnvironEntry[] {
  if (text === '') return [];
  const pieces = text.split('\0');
  const terminated = pieces[pieces.length - 1] === '';
  if (terminated) pieces.pop();
  else log.add('the last entry is not NUL-terminated; it may be cut short');
  const entries = pieces.filter((piece) => piece !== '').map(toEntry);
  const empty = pieces.length - entries.length;
  if (empty > 0) log.add(`skipped ${empty} empty entries (an environment rewritten in place?)`);
  return entries;
}

function toEntry(piece: string): EnvironEntry {
  const equals = piece.indexOf('=');
  if (equals < 0) return { name: piece, value: undefined };
  return { name: piece.slice(0, equals), value: piece.slice(equals + 1) };
}
