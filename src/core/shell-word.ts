/** A word as a POSIX shell reads it: left bare when nothing in it is special, else in single quotes (hints that show a command to type). */
export function shellWord(value: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
