import { targetArgument } from './argument-checks.js';
import type { RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';

export const registerInspect: RegisterCommand = (program, run) => {
  program
    .command('inspect')
    .description("report what runs in a container: PID 1, user, capabilities, namespaces, limits, environment, sockets, mounts, files")
    .argument('[target]', 'container name or ID prefix', targetArgument)
    .option('--json', 'print the complete report as JSON')
    .option('--all', 'one row per running container')
    .option('--all-contexts', 'with --all: read every docker context (docker context ls) at once, a column for the engine')
    .option('--show-secrets', 'show passwords, tokens and keys (environment, command lines) instead of masking them')
    .option('--all-mounts', "also list the runtime's standard /proc, /sys and /dev mounts (JSON always has them)")
    .action((target: string | undefined, flags: { json?: boolean; all?: boolean; allContexts?: boolean; showSecrets?: boolean; allMounts?: boolean }) => {
      run(async () => {
        const { runInspect } = await import('./inspect-command.js');
        return runInspect(target, flags, program.opts<GlobalFlags>());
      });
    });
};
