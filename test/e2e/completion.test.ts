/**
 * Shell completion in the real shells: the script `sidekick completion SHELL` prints is loaded,
 * and the shell's completion is driven as it would be at a prompt. `sidekick` is put on PATH as
 * the built bundle, as `npm install -g` would.
 */
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { run } from '../fixtures/docker-cli.js';
import { CLI_PATH, removeTarget, runCli, startTarget, type TestTarget } from './harness.js';

describe('shell completion', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let target: TestTarget | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sidekick-completion-test-'));
    await symlink(CLI_PATH, join(dir, 'sidekick'));
    for (const shell of ['bash', 'zsh', 'fish']) {
      const script = await runCli(['completion', shell]);
      expect(script.code).toBe(0);
      await writeFile(join(dir, `sidekick.${shell}`), script.stdout);
    }
    env = { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}`, HOME: dir };
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    if (target) await removeTarget(target.id);
    target = undefined;
  });

  /** COMPREPLY of the bash completion function for the line `sidekick WORDS…` (the last word is completed). */
  async function bashComplete(words: string[]): Promise<string[]> {
    const quoted = ['sidekick', ...words].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
    const program = [
      `source ${join(dir, 'sidekick.bash')}`,
      `COMP_WORDS=(${quoted})`,
      `COMP_CWORD=${words.length}`,
      `COMP_LINE="\${COMP_WORDS[*]}"`,
      'COMP_POINT=${#COMP_LINE}',
      '_sidekick_complete',
      'printf "%s\\n" "${COMPREPLY[@]}"',
    ].join('\n');
    const result = await run('bash', ['--norc', '--noprofile', '-c', program], { env });
    expect(result.stderr).toBe('');
    return result.stdout.toString().split('\n').filter((line) => line !== '');
  }

  it('bash: the script registers the function for sidekick', async () => {
    const result = await run('bash', ['--norc', '--noprofile', '-c', `source ${join(dir, 'sidekick.bash')}; complete -p sidekick`], { env });
    expect(result.stdout.toString().trim()).toBe('complete -o bashdefault -o default -F _sidekick_complete sidekick');
  });

  it('bash: completes subcommands, the flags of exec, and the names of running containers', async () => {
    const commands = await bashComplete(['']);
    expect(commands).toEqual(expect.arrayContaining(['exec', 'inject', 'inspect', 'ps', 'cp', 'port-forward', 'toolbox', 'completion', 'install-plugin']));
    expect(commands).not.toContain('__complete');
    expect(await bashComplete(['in'])).toEqual(['inject', 'inspect', 'install-plugin']);

    const flags = await bashComplete(['exec', '--']);
    expect(flags).toEqual(expect.arrayContaining(['--interactive', '--tty', '--image', '--cap-add', '--env', '--user', '--keep', '--copy', '--host', '--context']));
    expect(await bashComplete(['exec', '--ca'])).toEqual(['--cap-add']);

    const { scratchServer } = inject('fixtures');
    target = await startTarget(scratchServer);
    const prefix = target.name.slice(0, -3);
    expect(await bashComplete(['exec', prefix])).toEqual([target.name]);
    expect(await bashComplete(['inspect', '--json', prefix])).toEqual([target.name]);
    expect(await bashComplete(['cp', prefix])).toEqual([`${target.name}:`]);
    // The engine named on the line is the one asked: another engine has no such container.
    expect(await bashComplete(['-H', 'unix:///nonexistent/docker.sock', 'exec', prefix])).toEqual([]);
  });

  it('zsh: the script is accepted and completes through compsys', async () => {
    const checked = await run('zsh', ['-n', join(dir, 'sidekick.zsh')], { env });
    expect(checked.stderr).toBe('');
    expect(checked.code).toBe(0);
    // compsys needs a terminal to show candidates; with `compadd` replaced it shows what it would offer.
    const program = [
      'autoload -Uz compinit && compinit -u -d "$HOME/.zcompdump"',
      `source ${join(dir, 'sidekick.zsh')}`,
      'print -r -- "registered: ${_comps[sidekick]}"',
      'compadd() { while [[ $1 != -- ]]; do shift; done; shift; print -rl -- "$@" }',
      '_files() { print -r -- "(files)" }',
      'words=(sidekick ex); CURRENT=2; _sidekick',
      'words=(sidekick exec --ca); CURRENT=3; _sidekick',
    ].join('\n');
    const result = await run('zsh', ['-f', '-c', program], { env });
    const lines = result.stdout.toString().split('\n');
    expect(lines).toContain('registered: _sidekick');
    expect(lines).toContain('exec');
    expect(lines).toContain('--cap-add');
  });

  it('fish: the script is accepted and `complete -C` offers subcommands and flags', async () => {
    const checked = await run('fish', ['-n', join(dir, 'sidekick.fish')], { env });
    expect(checked.stderr).toBe('');
    expect(checked.code).toBe(0);
    const program = `source ${join(dir, 'sidekick.fish')}; complete -C 'sidekick in'; echo ---; complete -C 'sidekick exec --ca'`;
    const result = await run('fish', ['--no-config', '-c', program], { env });
    const [commands = '', flags = ''] = result.stdout.toString().split('---\n');
    expect(commands.split('\n').map((line) => line.split('\t')[0])).toEqual(expect.arrayContaining(['inject', 'inspect', 'install-plugin']));
    expect(flags.split('\n').map((line) => line.split('\t')[0])).toContain('--cap-add');
  });
});
