/**
 * The one shape every /proc parser returns. The input comes from a container we do not
 * trust, so a parser never throws: it keeps what it could read in `value` and says what it
 * could not in `problems`, one short line each, safe to print.
 */
export interface ParseResult<T> {
  value: T;
  problems: string[];
}

/** What the parsers accept: text, or the raw bytes as read from the file. */
export type ProcInput = string | Uint8Array;

// A hostile file can hold millions of bad lines; a report that long helps no one.
const MAX_PROBLEMS = 20;
const MAX_QUOTED_CHARS = 60;

export class ProblemLog {
  private readonly kept: string[] = [];
  private omitted = 0;

  add(problem: string): void {
    if (this.kept.length < MAX_PROBLEMS) this.kept.push(problem);
    else this.omitted += 1;
  }

  atLine(lineNumber: number, problem: string): void {
    this.add(`line ${lineNumber}: ${problem}`);
  }

  list(): string[] {
    if (this.omitted === 0) return [...this.kept];
    return [...this.kept, `… and ${this.omitted} more problems`];
  }
}

/**
 * Quotes untrusted text for a problem message: shortened, and with control characters
 * escaped so that a crafted value cannot drive the terminal it is printed on.
 */
export function quote(text: string): string {
  const short = text.length > MAX_QUOTED_CHARS ? `${text.slice(0, MAX_QUOTED_CHARS)}…` : text;
  return JSON.stringify(short);
}

/**
 * Runs a parser body. The bodies are written not to throw; this is the backstop that turns
 * a bug (or an input too large for the runtime) into a reported problem instead of a crash
 * of the debugging session.
 */
export function parseSafely<T>(what: string, parse: (log: ProblemLog) => T, fallback: () => T): ParseResult<T> {
  const log = new ProblemLog();
  try {
    const value = parse(log);
    return { value, problems: log.list() };
  } catch (error) {
    log.add(`${what}: parser failed (${error instanceof Error ? error.message : String(error)})`);
    return { value: fallback(), problems: log.list() };
  }
}
