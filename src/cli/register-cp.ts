import type { RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';

export const registerCp: RegisterCommand = (program, run) => {
  program
    .command('cp')
    .description('copy files between a container and here through the engine, modes and times kept ("-" is a tar on stdin/stdout)')
    .argument('<source>', 'TARGET:PATH, a local path, or - (a tar on stdin)')
    .argument('<destination>', 'a local path, - (a tar on stdout), or TARGET:PATH')
    .action((source: string, destination: string) => {
      run(async () => {
        const { runCp } = await import('./cp-command.js');
        return runCp(source, destination, program.opts<GlobalFlags>());
      });
    });
};
