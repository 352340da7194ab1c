import { SidekickError } from '../core/errors.js';

export interface TerminalModes {
  interactive: boolean;
  tty: boolean;
}

/**
 * docker's -i/-t, with one difference: with no command, a shell is asked for, so stdin is
 * open by default and a terminal is used when stdin is one.
 */
export function terminalModes(flags: { interactive?: boolean; tty?: boolean }, command: string[], stdinIsTerminal: boolean): TerminalModes {
  const noCommand = command.length === 0;
  const interactive = flags.interactive ?? noCommand;
  const tty = flags.tty ?? (noCommand && stdinIsTerminal);
  if (tty && !stdinIsTerminal) {
    throw new SidekickError('BAD_USAGE', '-t asks for a terminal, but stdin is not one.', { hint: 'Drop -t when piping input.' });
  }
  return { interactive, tty };
}
