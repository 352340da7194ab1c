import { targetArgument } from './argument-checks.js';
import { collect, type RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';

export const registerEject: RegisterCommand = (program, run) => {
  program
    .command('eject')
    .description('remove what sidekick inject put into a container, from inside it')
    .argument('<target>', 'container name or ID prefix', targetArgument)
    .option('--prefix <path>', 'a toolbox injected at a non-standard prefix (repeatable)', collect, [])
    .action((target: string, flags: { prefix: string[] }) => {
      run(async () => {
        const { runEject } = await import('./eject-command.js');
        return runEject(target, flags, program.opts<GlobalFlags>());
      });
    });
};
