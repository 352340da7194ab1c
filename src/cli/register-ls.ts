import type { RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';

export const registerLs: RegisterCommand = (program, run) => {
  program
    .command('ls')
    .description('list a directory of a container (running or not), like ls -la, through the engine')
    .argument('<target:path>', 'container and directory, e.g. web:/etc')
    .option('--json', 'print the entries as JSON')
    .action((location: string, flags: { json?: boolean }) => {
      run(async () => {
        const { runLs } = await import('./ls-command.js');
        return runLs(location, flags, program.opts<GlobalFlags>());
      });
    });
};
