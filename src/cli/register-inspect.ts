import { targetArgument } from './argument-checks.js';
import type { RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';
import type { InspectFlags } from './inspect-command.js';

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
    .option('--format <format>', "with --all: table, json (a line per container), or a template such as '{{.Name}} {{.User}} {{.Listening}}' (fields as in --json)")
    .option('-q, --quiet', 'with --all: print only the container IDs')
    .option('--no-trunc', 'with -q: print whole IDs')
    .action((target: string | undefined, flags: InspectFlags) => {
      run(async () => {
        const { runInspect } = await import('./inspect-command.js');
        return runInspect(target, flags, program.opts<GlobalFlags>());
      });
    });
};
