import { Option } from 'commander';
import { capabilityOption, containerNameOption, imageOption, userOption, workdirOption } from './argument-checks.js';
import { collect, commandAfterDashes, type RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';

export const registerExec: RegisterCommand = (program, run) => {
  program
    .command('exec')
    .description("run a shell or a command in a sidekick that joins the target's network and PID namespaces, or in a copy of a stopped target or an image")
    .argument('[target]', 'container name or ID prefix, or a local image')
    .argument('[command...]', 'command to run (after --); a shell when omitted')
    .option('-i, --interactive', 'keep stdin open (default when no command is given)')
    .option('-t, --tty', 'allocate a terminal (default when no command is given and stdin is a terminal)')
    .option('--image <ref>', 'toolbox image to use instead of the built-in busybox (on Kubernetes, one the cluster can pull; default busybox)', imageOption('--image'))
    .option('--tools <packages>', 'Debian packages to make the toolbox of (strace,tcpdump,gdb…); built here once with mmdebstrap')
    .option('--chroot', "make / the target's root, toolbox on PATH (the default)")
    .option('--no-chroot', "keep the toolbox's root; the target's files are at /target")
    .option('--privileged', 'give the sidekick every capability')
    .option('--cap-add <cap>', 'add a capability (repeatable)', capabilityOption, [])
    .addOption(new Option('-u, --user <user>', 'UID[:GID], or "target" for the target\'s own user').argParser(userOption))
    .option('-e, --env <KEY=VALUE>', 'set an environment variable (repeatable)', collect, [])
    .option('--name <name>', 'name of the sidekick container', containerNameOption)
    .option('--keep', 'do not remove the sidekick (or the copy and its snapshot) when the session ends')
    .option('--copy', 'debug a copy of the target (for stopped or crash-looping containers); the original is not changed')
    .option('--rw-volumes', "mount the original's volumes writable in the copy (read-only by default)")
    .option('--detach-keys <keys>', 'keys that detach from an interactive session, as docker (default ctrl-p,ctrl-q, or detachKeys of ~/.docker/config.json)')
    .option('-w, --workdir <dir>', 'absolute directory the command starts in (in the target\'s root; never created there)', workdirOption)
    .option('--env-file <file>', 'read environment variables from a file of KEY=VALUE lines (repeatable; -e wins)', (file: string, previous: string[] = []) => [...previous, file])
    .option('-d, --detach', 'start the sidekick and return its name; back in with exec --attach NAME (or docker attach), end it with docker stop NAME')
    .option('--attach <name>', 'back into a session started with -d (as docker attach); its detach keys leave it running again')
    .option('--network <network>', 'with --copy: the network of the copy ("none", or a network\'s name) instead of the original\'s')
    .option('--image-target <ref>', 'debug a container of this local image (its entrypoint is not run)', imageOption('--image-target'))
    .passThroughOptions()
    .action((target: string | undefined, command: string[], flags) => {
      run(async () => {
        const { runExec } = await import('./exec-command.js');
        return runExec(target, commandAfterDashes(command), flags, program.opts<GlobalFlags>());
      });
    });
};
