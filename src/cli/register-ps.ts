import { targetArgument } from './argument-checks.js';
import type { RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';
import type { PsFlags } from './ps-command.js';

export const registerPs: RegisterCommand = (program, run) => {
  program
    .command('ps')
    .description("the target's process tree: pid, user, state, memory, threads, start time, command line")
    .argument('<target>', 'container name or ID prefix', targetArgument)
    .option('--json', 'print the processes as JSON')
    .option('--show-secrets', 'show passwords, tokens and keys in command lines instead of masking them')
    .option('--format <format>', 'table, json (a line per process), or a template such as \'{{.Pid}} {{.User}} {{.Command}}\' (fields as in --json)')
    .option('-q, --quiet', 'print only the PIDs')
    .action((target: string, flags: PsFlags) => {
      run(async () => {
        const { runPs } = await import('./ps-command.js');
        return runPs(target, flags, program.opts<GlobalFlags>());
      });
    });
};
