import type { RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';

export const registerToolbox: RegisterCommand = (program, run) => {
  const toolbox = program.command('toolbox').description('list, build and remove toolbox images (built here, never pulled)');
  toolbox
    .command('ls')
    .description('list the toolbox images sidekick made on the engine')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => {
      run(async () => {
        const { runToolboxList } = await import('./toolbox-command.js');
        return runToolboxList(flags, program.opts<GlobalFlags>());
      });
    });
  toolbox
    .command('build')
    .description('build a toolbox from Debian packages with mmdebstrap (cached by content)')
    .requiredOption('--tools <packages>', 'Debian packages, comma-separated (strace,tcpdump,gdb,curl…)')
    .option('--tag <name>', 'also name the image NAME[:TAG]')
    .option('--rebuild', 'build again even when one of the same content exists')
    .action((flags: { tools: string; tag?: string; rebuild?: boolean }) => {
      run(async () => {
        const { runToolboxBuild } = await import('./toolbox-command.js');
        return runToolboxBuild(flags, program.opts<GlobalFlags>());
      });
    });
  toolbox
    .command('rm')
    .description('remove toolbox images sidekick made (by name or ID)')
    .argument('<refs...>', 'image names or IDs, as `sidekick toolbox ls` shows them')
    .action((refs: string[]) => {
      run(async () => {
        const { runToolboxRemove } = await import('./toolbox-command.js');
        return runToolboxRemove(refs, program.opts<GlobalFlags>());
      });
    });
  for (const command of toolbox.commands) command.exitOverride();
};
