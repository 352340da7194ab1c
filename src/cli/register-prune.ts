import type { RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';

export const registerPrune: RegisterCommand = (program, run) => {
  program
    .command('prune')
    .description('remove sidekick containers and snapshot images left behind (not toolbox images, not injections)')
    .option('--all', 'also end live sessions: running sidekicks, forwarders and copies')
    .option('--json', 'print what was removed as JSON')
    .action((flags: { all?: boolean; json?: boolean }) => {
      run(async () => {
        const { runPrune } = await import('./prune-command.js');
        return runPrune(flags, program.opts<GlobalFlags>());
      });
    });
};
