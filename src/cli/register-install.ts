import { Argument } from 'commander';
import type { RegisterCommand } from './command-runner.js';
import { COMPLETION_SHELLS, type CompletionShell } from './completion-scripts.js';
import type { GlobalFlags } from './engine-from-flags.js';

/** The commands that fit sidekick into the user's shell and docker CLI: completion, install-plugin. */
export const registerInstall: RegisterCommand = (program, run) => {
  program
    .command('completion')
    .description('print the shell completion script for bash, zsh or fish (subcommands, flags and container names)')
    .addArgument(new Argument('<shell>', 'the shell').choices(COMPLETION_SHELLS))
    .action((shell: CompletionShell) => {
      run(async () => {
        const { completionScript } = await import('./completion-scripts.js');
        process.stdout.write(completionScript(shell));
        return 0;
      });
    });

  program
    .command('__complete', { hidden: true })
    .description('candidates for the last word of a sidekick command line (called by the completion scripts)')
    .argument('[words...]', 'the words after "sidekick", the last one being completed')
    .option('--cobra', "answer as a cobra program does (docker's completion of `docker sidekick`)")
    .action((words: string[], flags: { cobra?: boolean }) => {
      run(async () => {
        const { runComplete } = await import('./complete-command.js');
        return runComplete(program, words, program.opts<GlobalFlags>(), flags.cobra === true);
      });
    });

  program
    .command('install-plugin')
    .description('install sidekick as a Docker CLI plugin, so that `docker sidekick …` runs it (in $DOCKER_CONFIG/cli-plugins or ~/.docker/cli-plugins)')
    .option('--uninstall', 'remove the plugin instead')
    .option('--dir <path>', 'plugin directory to use instead (e.g. /usr/local/lib/docker/cli-plugins for every user)')
    .action((flags: { uninstall?: boolean; dir?: string }) => {
      run(async () => {
        const { runInstallPlugin } = await import('./install-plugin-command.js');
        return runInstallPlugin(flags);
      });
    });
};
