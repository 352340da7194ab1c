import type { Command } from 'commander';

/** Hands a command's work to main(), which awaits it and turns its outcome into an exit status. */
export type RunCommand = (work: () => Promise<number>) => void;

/** Each `register-*.ts` adds one subcommand; heavy modules are imported inside the action only. */
export type RegisterCommand = (program: Command, run: RunCommand) => void;

export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** commander keeps the `--` that separates our flags from a command when options pass through. */
export function commandAfterDashes(command: string[]): string[] {
  return command[0] === '--' ? command.slice(1) : command;
}
