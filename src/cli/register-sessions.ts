import type { RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';
import type { SessionsFlags } from './sessions-command.js';

export const registerSessions: RegisterCommand = (program, run) => {
  program
    .command('sessions')
    .description('list sidekick containers and injections on the engine')
    .option('-A, --all-namespaces', 'on a cluster: every namespace (as kubectl -A); each name then leads with its namespace')
    .option('--json', 'print JSON')
    .option('--format <format>', 'table, json (a line per row), or a template such as \'{{.ID}} {{.Kind}} {{.Target}}\' (fields: .Kind .Session .ID .Name .Target .Status .Client .Created)')
    .option('-q, --quiet', 'print only the IDs of the session containers')
    .option('--no-trunc', 'print whole IDs')
    .action((flags: SessionsFlags) => {
      run(async () => {
        const { runSessions } = await import('./sessions-command.js');
        return runSessions(flags, program.opts<GlobalFlags>());
      });
    });
};
