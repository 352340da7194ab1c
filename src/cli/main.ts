import { Command, CommanderError, Option } from 'commander';
import { SidekickError } from '../core/errors.js';
import type { GlobalFlags } from './engine-from-flags.js';
import { formatError } from './report-error.js';

declare const SIDEKICK_VERSION: string;

const collect = (value: string, previous: string[]): string[] => [...previous, value];

function buildProgram(run: (work: () => Promise<number>) => void): Command {
  const program = new Command('sidekick')
    .description('Debug containers that have nothing in them: a shell with real tools beside any container.')
    .version(typeof SIDEKICK_VERSION === 'string' ? SIDEKICK_VERSION : 'dev', '-v, --version')
    .option('-H, --host <url>', 'engine address (unix://, tcp://, ssh://)')
    .option('--context <name>', 'docker context to use')
    .option('--debug', 'say which engine is used; show stack traces')
    .enablePositionalOptions()
    .showHelpAfterError('(run sidekick --help for usage)')
    .exitOverride();

  program
    .command('exec')
    .description('run a shell or a command in a sidekick that joins the target\'s network and PID namespaces')
    .argument('<target>', 'container name or ID prefix')
    .argument('[command...]', 'command to run (after --); a shell when omitted')
    .option('-i, --interactive', 'keep stdin open (default when no command is given)')
    .option('-t, --tty', 'allocate a terminal (default when no command is given and stdin is a terminal)')
    .option('--image <ref>', 'toolbox image to use instead of the built-in busybox')
    .option('--chroot', "make / the target's root, toolbox on PATH (default for a static toolbox)")
    .option('--no-chroot', "keep the toolbox's root; the target's files are at /target")
    .option('--privileged', 'give the sidekick every capability')
    .option('--cap-add <cap>', 'add a capability (repeatable)', collect, [])
    .addOption(new Option('-u, --user <user>', 'UID[:GID], or "target" for the target\'s own user'))
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('--name <name>', 'name of the sidekick container')
    .option('--keep', 'do not remove the sidekick when the session ends')
    .passThroughOptions()
    .action((target: string, command: string[], flags) => {
      run(async () => {
        const { runExec } = await import('./exec-command.js');
        // With pass-through options commander keeps the `--` that separates our flags from the command.
        const userCommand = command[0] === '--' ? command.slice(1) : command;
        return runExec(target, userCommand, flags, program.opts<GlobalFlags>());
      });
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  let pending: Promise<number> | undefined;
  const program = buildProgram((work) => {
    pending = work();
  });
  const debug = argv.includes('--debug');
  try {
    program.parse(argv, { from: 'user' });
    if (pending === undefined) {
      program.outputHelp();
      return 0;
    }
    return await pending;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed its message; help and version are successes.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return 0;
      return 125;
    }
    const { text, exitCode } = formatError(error, debug);
    process.stderr.write(text);
    return exitCode;
  }
}

export { SidekickError };
