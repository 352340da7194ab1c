import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DYNAMIC_VIEW_FUNCTIONS } from './dynamic-view.js';
import { isValidRunAs, sidekickScript, WORKDIR_WRAPPER } from './sidekick-script.js';

describe('sidekickScript', () => {
  it('is valid shell for every view and user', () => {
    for (const view of ['chroot', 'toolbox'] as const) {
      for (const runAs of [undefined, 'target', '65532', '1:2']) {
        const script = sidekickScript({ view, announce: true, targetName: `it's "odd" $name`, underInit: true, ...(runAs ? { runAs } : {}) });
        // busybox sh -n parses without running.
        expect(() => execFileSync('/bin/busybox', ['sh', '-n', '-c', script])).not.toThrow();
      }
    }
  });

  it('waits for the terminal size only when asked, and goes on without a terminal', () => {
    const plain = sidekickScript({ view: 'toolbox', announce: false, targetName: 't', underInit: false });
    const waiting = sidekickScript({ view: 'toolbox', announce: false, targetName: 't', underInit: false, awaitTerminalSize: true });
    expect(plain).not.toContain('stty size');
    expect(waiting).toContain('stty size </dev/tty');
    expect(() => execFileSync('/bin/busybox', ['sh', '-n', '-c', waiting])).not.toThrow();
    // No controlling terminal here (a new session): nothing to wait for, so no round of waiting at all.
    const wait = waiting.slice(waiting.indexOf('if command -v stty'), waiting.indexOf('\nfi', waiting.indexOf('if command -v stty')) + 3);
    const rounds = execFileSync('setsid', ['/bin/busybox', 'sh', '-c', `${wait}\necho "rounds:\${n:-none}"`], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    expect(rounds).toBe('rounds:none\n');
  });

  it('is valid shell with a dynamic toolbox, in both views, and the dispatcher it writes is too', () => {
    for (const view of ['chroot', 'toolbox'] as const) {
      for (const runAs of [undefined, 'target']) {
        const script = sidekickScript({ view, announce: true, targetName: `it's "odd" $name`, underInit: true, dynamicView: view === 'chroot', viewApplets: true, ...(runAs ? { runAs } : {}) });
        expect(() => execFileSync('/bin/busybox', ['sh', '-n', '-c', script])).not.toThrow();
      }
    }
    const script = sidekickScript({ view: 'chroot', announce: false, targetName: 't', underInit: true, dynamicView: true });
    expect(script).toContain(DYNAMIC_VIEW_FUNCTIONS);
    const dispatcher = execFileSync('/bin/busybox', ['sh', '-c', `${DYNAMIC_VIEW_FUNCTIONS}\nprintf %s "$DISPATCHER"`]).toString();
    expect(dispatcher).toContain('exec "$tb$loader" --library-path "$lp" --argv0 "$n" "$tb$p" "$@"');
    expect(() => execFileSync('/bin/busybox', ['sh', '-n', '-c', dispatcher])).not.toThrow();
  });

  it('starts the command in the -w directory in every view, and fails with 126 (creating nothing) when it is missing', () => {
    for (const [view, dynamicView] of [['chroot', false], ['chroot', true], ['toolbox', false]] as const) {
      const script = sidekickScript({ view, announce: false, targetName: 't', underInit: true, dynamicView, workdir: `/it's "odd" $dir` });
      expect(script).toContain(`wd='/it'\\''s "odd" $dir'`);
      expect(script).toMatch(/if \[ -n "\$wd" \]; then set -- "?[^ ]*sh"? -c '/);
      expect(() => execFileSync('/bin/busybox', ['sh', '-n', '-c', script])).not.toThrow();
    }
    expect(sidekickScript({ view: 'chroot', announce: false, targetName: 't', underInit: true })).toContain("wd=''");
    const pwd = execFileSync('/bin/busybox', ['sh', '-c', WORKDIR_WRAPPER, '/etc', '/bin/busybox', 'pwd']).toString();
    expect(pwd).toBe('/etc\n');
    let failure: { status?: number; stderr?: Buffer } = {};
    try {
      execFileSync('/bin/busybox', ['sh', '-c', WORKDIR_WRAPPER, '/no/such/dir', '/bin/busybox', 'true'], { stdio: 'pipe' });
    } catch (error) {
      failure = error as typeof failure;
    }
    expect(failure.status).toBe(126);
    expect(failure.stderr?.toString()).toBe('sidekick: cannot change to /no/such/dir (-w): no such directory there\n');
  });

  it('puts the toolbox alone on PATH in the chroot view: the target\'s programs are run only by their path', () => {
    const script = sidekickScript({ view: 'chroot', announce: false, targetName: 't', underInit: true });
    expect(script).toContain('export PATH="$tools"\n');
    expect(script).not.toMatch(/PATH="[^"]*\/usr\/bin/);
  });

  it('roots the chroot at the target process that find_target chose, never at a fixed PID 1', () => {
    const script = sidekickScript({ view: 'chroot', announce: false, targetName: 't', underInit: true, runAs: 'target' });
    expect(script).toContain('chroot "/proc/$tp/root" "$@"');
    expect(script).not.toContain('/proc/1/');
  });

  it('never lets the chroot be the last command, so the anchor survives', () => {
    const lines = sidekickScript({ view: 'chroot', announce: false, targetName: 't', underInit: true }).trim().split('\n');
    const chroot = lines.findIndex((line) => line.startsWith('chroot '));
    expect(chroot).toBeGreaterThan(0);
    expect(lines.at(-1)).toBe('exit $status');
  });

  it('quotes the target name in the prompt and the greeting', () => {
    const script = sidekickScript({ view: 'chroot', announce: true, targetName: "a'b", underInit: true });
    const out = execFileSync('/bin/busybox', ['sh', '-c', `${script.split('\n').filter((l) => /^(export PS1|echo)/.test(l)).join('\n')}; echo "$PS1"`, 'x'], {
      env: { PATH: '/usr/bin:/bin' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(out.toString()).toBe("[sidekick a'b] \\w \\$ \n");
  });
});

describe('isValidRunAs', () => {
  it('accepts numbers and "target" only', () => {
    expect(['target', '0', '65532', '65532:65532'].every(isValidRunAs)).toBe(true);
    expect(['root', '1:', ':1', '1:2:3', ''].some(isValidRunAs)).toBe(false);
  });
});
