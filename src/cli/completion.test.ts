import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { completeWords, describeForCompletion, matching, type CompletionRequest } from './completion.js';

/** A program shaped like sidekick's: global engine flags, a pass-through exec, cp, a command group. */
function program(): Command {
  const root = new Command('sidekick').version('1.0.0', '-v, --version').option('-H, --host <url>').option('--context <name>').option('--debug').enablePositionalOptions();
  root.command('exec').argument('[target]').argument('[command...]').option('-e, --env <kv>').option('--keep').option('-u, --user <user>').passThroughOptions();
  root.command('inspect').argument('[target]').option('--json');
  root.command('cp').argument('<source>').argument('<destination>');
  root.command('__complete', { hidden: true }).argument('[words...]');
  const toolbox = root.command('toolbox');
  toolbox.command('ls').option('--json');
  toolbox.command('rm').argument('<refs...>');
  return root;
}

const complete = (...words: string[]): CompletionRequest => completeWords(describeForCompletion(program()), words);

describe('shell completion', () => {
  it('offers the visible subcommands first, never the hidden ones', () => {
    const { completion } = complete('');
    expect(completion).toEqual({ kind: 'words', words: ['exec', 'inspect', 'cp', 'toolbox', 'help'] });
  });

  it("offers a command's own flags and the global ones, long forms", () => {
    const { completion, current } = complete('exec', '--');
    expect(current).toBe('--');
    expect(completion.kind).toBe('words');
    const words = completion.kind === 'words' ? completion.words : [];
    expect(words).toEqual(expect.arrayContaining(['--env', '--keep', '--user', '--help', '--host', '--context', '--debug']));
    expect(words).not.toContain('--json');
    expect(words).not.toContain('--version');
    expect(words.filter((word) => word === '--help')).toHaveLength(1);
  });

  it('offers container names for a target, stopped ones too where a stopped target works', () => {
    expect(complete('exec', 'we').completion).toEqual({ kind: 'containers', includeStopped: true, suffix: '' });
    expect(complete('inspect', '').completion).toEqual({ kind: 'containers', includeStopped: false, suffix: '' });
    expect(complete('-H', 'unix:///x', 'inspect', '--json', '').completion).toEqual({ kind: 'containers', includeStopped: false, suffix: '' });
    expect(complete('cp', 'w').completion).toEqual({ kind: 'containers', includeStopped: true, suffix: ':' });
  });

  it('skips the values of flags, and completes nothing sidekick knows after the target of exec or after --', () => {
    expect(complete('exec', '-u', '0', '').completion.kind).toBe('containers');
    expect(complete('exec', 'web', '').completion).toEqual({ kind: 'none' });
    expect(complete('exec', 'web', '--', '').completion).toEqual({ kind: 'none' });
    expect(complete('exec', '-e', '').completion).toEqual({ kind: 'none' });
  });

  it('takes the engine from the line being completed, and offers contexts for --context', () => {
    expect(complete('--context', '').completion).toEqual({ kind: 'contexts' });
    const request = complete('-H', 'unix:///other.sock', 'exec', '');
    expect(request.host).toBe('unix:///other.sock');
    expect(complete('--context=prod', 'inspect', '').context).toBe('prod');
  });

  it('goes into command groups', () => {
    expect(complete('toolbox', '').completion).toEqual({ kind: 'words', words: ['ls', 'rm', 'help'] });
    expect(complete('toolbox', 'ls', '--j').completion).toEqual({ kind: 'words', words: expect.arrayContaining(['--json']) });
  });

  it('keeps the candidates that start with the word, once each', () => {
    expect(matching(['exec', 'eject', 'exec', 'inspect'], 'e')).toEqual(['exec', 'eject']);
  });
});
