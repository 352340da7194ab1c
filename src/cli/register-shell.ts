import { targetArgument } from './argument-checks.js';
import { collect, commandAfterDashes, type RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';

export const registerShell: RegisterCommand = (program, run) => {
  program
    .command('shell')
    .description("a shell (or a command) inside the target, as its own user, with the injected toolbox on PATH")
    .argument('<target>', 'container name or ID prefix', targetArgument)
    .argument('[command...]', 'command to run (after --); a shell when omitted')
    .option('--root', 'run as uid 0 instead of the target\'s user')
    .option('-i, --interactive', 'keep stdin open (default when no command is given)')
    .option('-t, --tty', 'allocate a terminal (default when no command is given and stdin is a terminal)')
    .option('--prefix <path>', 'a toolbox injected at a non-standard prefix', collect, [])
    .passThroughOptions()
    .action((target: string, command: string[], flags) => {
      run(async () => {
        const { runShell } = await import('./shell-command.js');
        return runShell(target, commandAfterDashes(command), flags, program.opts<GlobalFlags>());
      });
    });
};
