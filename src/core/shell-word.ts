/**
 * Words and command lines as a POSIX shell reads them: for scripts sidekick runs (`shellQuote`)
 * and for the commands its hints show a person (`shellWord`, `formatArgv`).
 */

/** Always in single quotes: safe anywhere in a script. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** Left bare when nothing in it is special, else in single quotes (hints that show a command to type). */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : shellQuote(value);
}

/** An argv as a person would type it in a shell. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map(shellWord).join(' ');
}
