import { isSidekickError } from '../core/errors.js';
import { terminalSafe, terminalSafeLines } from './terminal-safe.js';

/** One or two plain lines: what happened, then what to do. The stack only with --debug. */
export function formatError(error: unknown, debug: boolean): { text: string; exitCode: number } {
  if (isSidekickError(error)) {
    // Messages quote what targets chose (paths, link targets, their stderr): one line each, no escapes.
    const lines = [`sidekick: ${terminalSafe(error.message)}`];
    if (error.hint) lines.push(terminalSafe(error.hint));
    if (debug && error.cause) lines.push(terminalSafeLines(String((error.cause as Error).stack ?? error.cause)));
    return { text: lines.join('\n') + '\n', exitCode: error.exitCode };
  }
  const message = error instanceof Error ? error.message : String(error);
  const lines = [`sidekick: unexpected failure: ${terminalSafe(message)}`];
  lines.push(debug && error instanceof Error && error.stack ? terminalSafeLines(error.stack) : 'Run again with --debug for details.');
  return { text: lines.join('\n') + '\n', exitCode: 125 };
}
