import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { copyStartScript, runEntrypointScript } from './copy-script.js';

/** Runs a generated script with the host's sh, with the script's own interpreter line ignored. */
function sh(script: string, args: string[], env: Record<string, string>): string {
  return execFileSync('sh', ['-c', script, 'run-entrypoint', ...args], { env, encoding: 'utf8' });
}

describe('run-entrypoint', () => {
  it('runs entrypoint + command, or entrypoint + arguments, quoting each word', () => {
    const script = runEntrypointScript({ entrypoint: ['printf', '[%s]'], cmd: ["it's", 'a b'] });
    expect(sh(script, [], { PATH: '/usr/bin:/bin:/.sidekick/bin' })).toBe("[it's][a b]");
    expect(sh(script, ['x'], { PATH: '/usr/bin:/bin' })).toBe('[x]');
  });

  it('takes the toolbox off PATH and puts the prompt back', () => {
    const script = runEntrypointScript({ entrypoint: [], cmd: ['sh', '-c', 'echo "$PATH|$(printenv PS1 || echo unset)"'] });
    expect(sh(script, [], { PATH: '/usr/bin:/bin:/.sidekick/bin', PS1: 'copy> ' })).toBe('/usr/bin:/bin|unset\n');
    const kept = runEntrypointScript({ entrypoint: ['printenv', 'PS1'], cmd: [], originalPs1: '$ ' });
    expect(sh(kept, [], { PATH: '/usr/bin:/bin' })).toBe('$ \n');
  });

  it('says so when there is nothing to run', () => {
    const script = runEntrypointScript({ entrypoint: [], cmd: [] });
    expect(() => execFileSync('sh', ['-c', script], { stdio: 'pipe' })).toThrow(/no entrypoint and no command/);
  });
});

describe('copy start script', () => {
  it('puts the toolbox last on PATH and runs the command given', () => {
    const script = copyStartScript({ label: "copy of it's" });
    expect(execFileSync('sh', ['-c', script, 'start', 'sh', '-c', 'echo "$PATH"; echo "$PS1"'], { env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' })).toBe(
      "/usr/bin:/bin:/.sidekick/bin\n[sidekick copy of it's] \\w \\$ \n",
    );
  });
});
