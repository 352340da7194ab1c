import type { RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';
import type { PruneFlags } from './prune-command.js';

export const registerPrune: RegisterCommand = (program, run) => {
  program
    .command('prune')
    .description(
      'remove what sidekick made for you on this machine and nobody uses: containers and snapshot images of sessions whose client is gone (never volumes, toolbox images or injections)',
    )
    .option('--all', "also end live sessions and remove kept ones, and other machines' or users' sidekick objects")
    .option('--dry-run', 'say what would be removed and what is kept, and why; remove nothing')
    .option('-f, --force', 'with --all: do not ask for confirmation (needed without a terminal)')
    .option('-A, --all-namespaces', 'on a cluster: every namespace (as kubectl -A); each name then leads with its namespace')
    .option('--json', 'print what was removed and kept as JSON')
    .action((flags: PruneFlags) => {
      run(async () => {
        const { runPrune } = await import('./prune-command.js');
        return runPrune(flags, program.opts<GlobalFlags>());
      });
    });
};
