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
  // As docker: a terminal without input (-t) is allocated whatever stdin is; with input (-it)
  // the keys must come from a terminal.
  if (tty && interactive && !stdinIsTerminal) {
    throw new SidekickError('BAD_USAGE', 'the input device is not a TTY: -t with stdin open (-i, or a shell) needs a terminal on stdin.', {
      hint: 'Drop -t when piping input (or -i to run a command on a terminal without input).',
    });
  }
  return { interactive, tty };
}
