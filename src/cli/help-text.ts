/**
 * The help every subcommand shows beyond its flags: two or three examples, and repeatable flags
 * said to be repeatable instead of commander's "(default: [])". Kept in one place so that a new
 * subcommand without examples fails help-text.test.ts instead of shipping bare.
 */
import { Help, type Command, type Option } from 'commander';

/** Examples by command path ("toolbox build"); each line is a command, then what it does. */
export const EXAMPLES: Readonly<Record<string, readonly (readonly [string, string])[]>> = {
  exec: [
    ['sidekick exec web', "a shell beside web: / is web's root, busybox on PATH"],
    ['sidekick exec web -- ps -o pid,user,args', "web's processes, then the sidekick ends"],
    ['sidekick exec --copy --tools strace,tcpdump crashed', 'a copy of a stopped container, with Debian tools'],
  ],
  inject: [
    ['sidekick inject web', 'a static busybox under /.sidekick of web, for docker exec'],
    ['sidekick inject --os debian web', 'a whole Debian userland with apt-get'],
  ],
  shell: [
    ['sidekick shell web', "a shell inside web, as web's user, with the injected tools"],
    ['sidekick shell --root web -- id', 'one command as uid 0'],
  ],
  eject: [
    ['sidekick eject web', 'remove what sidekick inject put into web'],
    ['sidekick eject --prefix /opt/tools web', 'a toolbox injected at another prefix'],
  ],
  sessions: [
    ['sidekick sessions', 'sidekick containers and injections on the engine'],
    ['sidekick sessions --json', 'the same as JSON'],
    ['sidekick sessions -n shop', "sidekicks running in the pods of namespace shop"],
  ],
  inspect: [
    ['sidekick inspect web', "web's PID 1, user, capabilities, sockets, mounts…"],
    ['sidekick inspect --all', 'one row per running container'],
    ['sidekick inspect --json web', 'the complete report as JSON'],
  ],
  ps: [
    ['sidekick ps web', "web's process tree"],
    ['sidekick ps --json web', 'the same as JSON'],
  ],
  ls: [
    ['sidekick ls web:/etc', 'a directory of web, like ls -la'],
    ['sidekick ls -R -h web:/app', 'recursively, with human sizes'],
  ],
  cp: [
    ['sidekick cp web:/etc/passwd .', 'a file of web to here'],
    ['sidekick cp ./fix.conf web:/tmp/', 'a file from here into web'],
    ['sidekick cp web:/var/log - | tar -tv', 'a directory as a tar on stdout'],
  ],
  'port-forward': [
    ['sidekick port-forward web 8080', "localhost:8080 to web's port 8080"],
    ['sidekick port-forward web 9000:6060', "localhost:9000 to web's 6060, even if bound to its 127.0.0.1"],
    ['sidekick port-forward pod/api 8080', "through the cluster's port-forward; nothing is added to the pod"],
  ],
  prune: [
    ['sidekick prune --dry-run', 'what would be removed, and why'],
    ['sidekick prune', "remove leftovers of sessions whose client is gone"],
    ['sidekick prune -n shop', "end sidekicks in namespace shop's pods whose client is gone"],
  ],
  toolbox: [
    ['sidekick toolbox ls', 'the toolbox images built here'],
    ['sidekick toolbox build --tools strace,gdb', 'build one from Debian packages'],
  ],
  'toolbox ls': [
    ['sidekick toolbox ls', 'the toolbox images built here'],
    ['sidekick toolbox ls --json', 'the same as JSON'],
  ],
  'toolbox build': [
    ['sidekick toolbox build --tools strace,tcpdump', 'a toolbox with strace and tcpdump'],
    ['sidekick toolbox build --tools gdb --tag my-gdb', 'the same, also named my-gdb'],
  ],
  'toolbox rm': [
    ['sidekick toolbox rm my-gdb', 'remove a toolbox image by name'],
    ['sidekick toolbox rm my-gdb my-strace', 'several at once'],
  ],
  capture: [
    ['sidekick capture web -w web.pcap', "web's packets to a file, until Ctrl-C"],
    ["sidekick capture web -w - 'port 8080' | wireshark -k -i -", 'live, into Wireshark'],
  ],
  completion: [
    ['source <(sidekick completion bash)', 'completion in this bash'],
    ['sidekick completion zsh > "${fpath[1]}/_sidekick"', 'for every zsh'],
    ['sidekick completion fish > ~/.config/fish/completions/sidekick.fish', 'for fish'],
  ],
  'install-plugin': [
    ['sidekick install-plugin', 'then: docker sidekick exec web'],
    ['sidekick install-plugin --uninstall', 'remove the plugin'],
  ],
};

function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(' ');
}

function examplesText(examples: readonly (readonly [string, string])[]): string {
  // As kubectl prints them: what it does as a comment, then the line to type.
  return `\nExamples:\n${examples.map(([line, what]) => `  # ${what}\n  ${line}`).join('\n\n')}`;
}

/** A repeatable flag: collected into an array that starts empty. */
export function isRepeatable(option: Option): boolean {
  return Array.isArray(option.defaultValue) && option.defaultValue.length === 0;
}

class SidekickHelp extends Help {
  override optionDescription(option: Option): string {
    if (!isRepeatable(option)) return super.optionDescription(option);
    // Shown without its empty default; "repeatable" said once, in the description's words when it has it.
    const shown = Object.assign(Object.create(Object.getPrototypeOf(option) as object) as Option, option, { defaultValue: undefined });
    const text = super.optionDescription(shown);
    return /\brepeatable\b/.test(text) ? text : `${text} (repeatable)`;
  }
}

/** Adds the examples and the repeatable-flag wording to every (sub)command of the program. */
export function polishHelp(program: Command): void {
  const visit = (command: Command): void => {
    command.createHelp = () => Object.assign(new SidekickHelp(), command.configureHelp());
    const examples = EXAMPLES[commandPath(command)];
    if (examples !== undefined) command.addHelpText('after', examplesText(examples));
    for (const sub of command.commands) visit(sub);
  };
  visit(program);
}
