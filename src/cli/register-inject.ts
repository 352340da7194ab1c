import { targetArgument } from './argument-checks.js';
import type { RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';

export const registerInject: RegisterCommand = (program, run) => {
  program
    .command('inject')
    .description('put a static busybox (or, with --os, a whole userland) into a running container, so that docker exec works in it')
    .argument('<target>', 'container name or ID prefix', targetArgument)
    .option('--os <ref>', 'inject a whole OS: a rootfs tarball (.tar, .tar.gz), debian[:SUITE] (built here with mmdebstrap), alpine[:VERSION], or a local image')
    .option('--prefix <path>', 'where the busybox toolbox goes', '/.sidekick')
    .option('--skip-conflicts', 'with --os: leave out paths where the OS and the target disagree (file vs directory)')
    .option('--mirror <url>', 'with --os alpine or debian: the mirror (default SIDEKICK_ALPINE_MIRROR or dl-cdn; SIDEKICK_DEBIAN_MIRROR or the one apt uses here)')
    .action((target: string, flags) => {
      run(async () => {
        const { runInject } = await import('./inject-command.js');
        return runInject(target, flags, program.opts<GlobalFlags>());
      });
    });
};
