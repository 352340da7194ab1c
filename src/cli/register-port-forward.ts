import { targetArgument } from './argument-checks.js';
import type { RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';

export const registerPortForward: RegisterCommand = (program, run) => {
  program
    .command('port-forward')
    .description("forward local ports to ports of the target, published or not (even ones bound to the target's 127.0.0.1)")
    .argument('<target>', 'container name or ID prefix, or pod/NAME[/CONTAINER]', targetArgument)
    .argument('[ports...]', '[[LOCAL_HOST:]LOCAL_PORT:]REMOTE_PORT[/udp]; LOCAL_PORT 0 picks a free port; LOCAL_HOST defaults to 127.0.0.1; /udp needs an engine on this machine (not a pod: the cluster forwards TCP only)')
    .action((target: string, ports: string[]) => {
      run(async () => {
        const { runPortForward } = await import('./port-forward-command.js');
        return runPortForward(target, ports, program.opts<GlobalFlags>());
      });
    });
};
