import { Command, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { collect } from './command-runner.js';
import { EXAMPLES, isRepeatable, polishHelp } from './help-text.js';
import { buildProgram } from './main.js';

/** Every command of the program but the root, depth first, with its path ("toolbox build"). */
function commandsOf(program: Command): { path: string; command: Command }[] {
  const found: { path: string; command: Command }[] = [];
  const visit = (command: Command, prefix: string[]): void => {
    for (const sub of command.commands) {
      const path = [...prefix, sub.name()];
      found.push({ path: path.join(' '), command: sub });
      visit(sub, path);
    }
  };
  visit(program, []);
  return found;
}

/** What `--help` prints for a command (commander's own text, after-help included). */
function helpOf(command: Command): string {
  let text = '';
  command.configureOutput({ writeOut: (chunk) => (text += chunk) });
  command.outputHelp();
  return text;
}

const isHidden = (command: Command): boolean => (command as unknown as { _hidden?: boolean })._hidden === true;

describe('help text', () => {
  const program = buildProgram(() => undefined);
  const commands = commandsOf(program).filter(({ command }) => !isHidden(command));

  it('has no "(default: [])" in any subcommand, and says which flags are repeatable', () => {
    expect(commands.length).toBeGreaterThan(14);
    const repeatable: string[] = [];
    for (const { path, command } of commands) {
      const help = helpOf(command);
      expect(help, `sidekick ${path} --help`).not.toContain('default: []');
      for (const option of command.options.filter(isRepeatable)) {
        repeatable.push(`${path} ${option.long}`);
        const line = help.slice(help.indexOf(option.flags)).split(/\n {2}-/)[0]!.replace(/\s+/g, ' ');
        expect(line, `sidekick ${path} --help, ${option.flags}`).toMatch(/\brepeatable\b/);
        expect(line.match(/\brepeatable\b/g), 'said once').toHaveLength(1);
      }
    }
    expect(repeatable).toEqual(expect.arrayContaining(['exec --cap-add', 'exec --env', 'eject --prefix', 'shell --prefix']));
  });

  it('has two or three examples in every subcommand, each using only flags the command has', () => {
    const globals = program.options.flatMap((option: Option) => [option.long, option.short]);
    for (const { path, command } of commands) {
      const help = helpOf(command);
      const section = help.split(/^Examples:\n/m)[1];
      expect(section, `sidekick ${path} --help has Examples`).toBeDefined();
      const lines = section!.split('\n').filter((line) => /^ {2}[^#\s]/.test(line));
      expect(lines.length, `sidekick ${path}`).toBeGreaterThanOrEqual(2);
      expect(lines.length, `sidekick ${path}`).toBeLessThanOrEqual(3);
      for (const line of lines) {
        const after = line.split(/\bsidekick /)[1];
        if (after === undefined) continue;
        // The command the example runs (toolbox's examples run its subcommands), then its flags,
        // which end at `--`, a pipe or a redirection: what follows belongs to another command.
        const words = after.split(/ -- | \| | > /)[0]!.split(/\s+/);
        let runs: Command = program;
        for (let sub = runs.commands.find((c) => c.name() === words[0]); sub !== undefined; sub = runs.commands.find((c) => c.name() === words[0])) {
          runs = sub;
          words.shift();
        }
        expect(runs, `sidekick ${path}: example "${line.trim()}" runs a subcommand`).not.toBe(program);
        const known = new Set([...globals, ...runs.options.flatMap((option: Option) => [option.long, option.short])]);
        for (const word of words.filter((w) => /^--?[a-zA-Z]/.test(w))) {
          expect(known.has(word.split('=')[0]), `sidekick ${path}: example "${line.trim()}" uses ${word}, which it does not have`).toBe(true);
        }
      }
    }
    expect(Object.keys(EXAMPLES).sort()).toEqual(commands.map(({ path }) => path).sort());
  });

  it('marks a collected flag repeatable once, whether or not its description already says so', () => {
    const sample = new Command('sample');
    sample
      .command('run')
      .option('--tag <t>', 'a tag', collect, [])
      .option('--label <l>', 'a label (repeatable)', collect, [])
      .option('--file <f>', 'a file (repeatable; the last wins)', collect, [])
      .option('--name <n>', 'a name', 'x');
    polishHelp(sample);
    const help = helpOf(sample.commands[0]!).replace(/\s+/g, ' ');
    expect(help).toContain('--tag <t> a tag (repeatable)');
    expect(help).toContain('--label <l> a label (repeatable) --file');
    expect(help).toContain('--file <f> a file (repeatable; the last wins) --name');
    expect(help).toContain('(default: "x")');
  });
});
