import type { RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';

export const registerSessions: RegisterCommand = (program, run) => {
  program
    .command('sessions')
    .description('list sidekick containers and injections on the engine')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => {
      run(async () => {
        const { runSessions } = await import('./sessions-command.js');
        return runSessions(flags, program.opts<GlobalFlags>());
      });
    });
};
