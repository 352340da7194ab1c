import { Option } from 'commander';
import type { RegisterCommand } from './command-runner.js';
import type { GlobalFlags } from './engine-from-flags.js';
import { imageOption, targetArgument } from './argument-checks.js';
import { parseInterfaceName, parsePacketCount } from '../core/capture-command-line.js';

export const registerCapture: RegisterCommand = (program, run) => {
  program
    .command('capture')
    .description("capture the target's packets with tcpdump in its network namespace, as pcap to a file or stdout (Ctrl-C ends it)")
    .argument('<target>', 'running container name or ID prefix', targetArgument)
    .argument('[filter...]', "tcpdump's filter expression (e.g. tcp port 8080); put it after -- if a word starts with -")
    .addOption(new Option('-i, --interface <iface>', "interface in the target's namespace (default: any)").argParser((value: string) => parseInterfaceName(value)))
    .addOption(new Option('-c, --count <n>', 'stop after this many packets').argParser((value: string) => parsePacketCount(value)))
    .option('--image <ref>', 'a toolbox image that has tcpdump, instead of the one built here from Debian\'s package', imageOption('--image'))
    .option('-w, --write <file>', 'write the pcap to this file, or to stdout with - (… -w - | wireshark -k -i -); without -w, packets are shown as text')
    .action((target: string, filter: string[], flags) => {
      run(async () => {
        const { runCapture } = await import('./capture-command.js');
        return runCapture(target, filter, flags, program.opts<GlobalFlags>());
      });
    });
};
