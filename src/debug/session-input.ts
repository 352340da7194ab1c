import { SidekickError } from '../core/errors.js';

/** Checks every session (a sidekick, a copy) makes of how it is attached and of its -e entries. */
export function assertSessionInput(request: { tty: boolean; interactive: boolean; command: string[]; env: string[] }): void {
  if (request.tty && !request.interactive && request.command.length === 0) {
    throw new SidekickError('BAD_USAGE', 'a shell with -t but without -i would read no input.', { hint: 'Use -it, or give a command.' });
  }
  for (const entry of request.env) {
    if (!/^[^=]+=/.test(entry)) throw new SidekickError('BAD_USAGE', `-e ${entry} is not KEY=VALUE.`, { hint: 'Write -e NAME=value.' });
  }
}
