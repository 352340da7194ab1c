import type { RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';

export const registerLs: RegisterCommand = (program, run) => {
  program
    .command('ls')
    .description("list a directory of a container, like ls -la: a running one through a sidekick (one directory's metadata), a stopped one through the engine's archive")
    .argument('<target:path>', 'container and directory, e.g. web:/etc')
    // -h is ls's human sizes here, as in ls(1); help stays --help.
    .helpOption('--help', 'display help for command')
    .option('-R, --recursive', 'list subdirectories too')
    .option('-h, --human-readable', 'sizes as 4.0K, 1.5M')
    .option('--json', 'print the entries as JSON')
    .action((location: string, options: { json?: boolean; recursive?: boolean; humanReadable?: boolean }) => {
      const flags = { json: options.json ?? false, recursive: options.recursive ?? false, human: options.humanReadable ?? false };
      run(async () => {
        const { runLs } = await import('./ls-command.js');
        return runLs(location, flags, program.opts<GlobalFlags>());
      });
    });
};
