import { type ParseResult, type ProblemLog, type ProcInput, parseSafely } from './parse-result.js';
import { toText } from './text.js';

/**
 * /proc/<pid>/cmdline as argv. Empty for kernel threads and zombies. A process that
 * rewrote its title (nginx, postgres, node's process.title) shows one string, either with
 * no NUL at all or NUL-padded to the length of its original arguments.
 */
export function parseCmdline(input: ProcInput): ParseResult<string[]> {
  return parseSafely('cmdline', (log) => readCmdline(toText(input, log), log), () => []);
}

// Trailing NULs are dropped as a whole: the padding of a rewritten title cannot be told
// apart from trailing empty arguments, and padding is by far the more common.
function readCmdline(text: string, log: ProblemLog): string[] {
  if (!text.includes('\0')) return text === '' ? [] : [text];
  if (!text.endsWith('\0')) log.add('the last argument is not NUL-terminated; it may be cut short');
  const args = trimTrailingNuls(text);
  return args === '' ? [] : args.split('\0');
}

function trimTrailingNuls(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end -= 1;
  return text.slice(0, end);
}
