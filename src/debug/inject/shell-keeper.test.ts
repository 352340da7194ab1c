/**
 * The shell session's keeper and signal scripts (shell-session.ts), run by this host's busybox
 * sh against processes of the test's own that stand for a session. Each test's processes carry
 * a marker of their own, so the scripts can reach nothing else on the machine. The marker is
 * never the first entry of an environment: which entry comes first depends on the program
 * that started a process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { KEEPER_SCRIPT, SIGNAL_SCRIPT } from './shell-session.js';

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((candidate) => existsSync(candidate));

interface StandIn {
  child: ChildProcess;
  /** The signal that ended it. */
  ended: Promise<NodeJS.Signals | null>;
}

describe.skipIf(BUSYBOX === undefined)('the shell session keeper and signals', () => {
  const started: ChildProcess[] = [];
  let marker: string;

  afterEach(() => {
    for (const child of started.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  function track(child: ChildProcess): ChildProcess {
    started.push(child);
    return child;
  }

  /** A process that ignores hang-ups (as a daemon that reloads on SIGHUP does) and waits for its stdin. */
  function standIn(extraEnv: Record<string, string>): StandIn {
    const [name, value] = [marker.slice(0, marker.indexOf('=')), marker.slice(marker.indexOf('=') + 1)];
    const child = track(spawn(BUSYBOX!, ['sh', '-c', "trap '' HUP; read -r _"], { env: { PATH: '/usr/bin:/bin', HOME: '/', [name]: value, ...extraEnv }, stdio: ['pipe', 'ignore', 'ignore'] }));
    return { child, ended: new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal))) };
  }

  function alive(standIn: StandIn): boolean {
    return standIn.child.exitCode === null && standIn.child.signalCode === null;
  }

  function startKeeper(withInit: boolean): { keeper: ChildProcess; pid: Promise<string>; exit: Promise<number | null> } {
    const keeper = track(spawn(BUSYBOX!, ['sh', '-c', KEEPER_SCRIPT, 'sidekick-keeper', marker, withInit ? 'init' : ''], { env: { PATH: '/usr/bin:/bin' }, stdio: ['pipe', 'pipe', 'ignore'] }));
    const pid = new Promise<string>((resolve) => keeper.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString().trim())));
    return { keeper, pid, exit: new Promise((resolve) => keeper.once('exit', (code) => resolve(code))) };
  }

  it("ends what the session started once its client is gone, with KILL for what ignored the hang-up, and leaves the init and the shell to end on their own", async () => {
    marker = `SIDEKICK_SHELL=${randomBytes(8).toString('hex')}`;
    const { keeper, pid, exit } = startKeeper(true);
    const keeperPid = await pid;
    // The session's shell and its init carry the keeper variable; what the shell started does not.
    const shell = standIn({ SIDEKICK_KEEPER: keeperPid });
    const command = standIn({});
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The client's connection ends without the line a normal end sends.
    keeper.stdin!.end();

    expect(await command.ended).toBe('SIGKILL');
    expect(await exit).toBe(0);
    expect(alive(shell)).toBe(true);
  }, 30_000);

  it('without an init, ends the shell too: it has become the command', async () => {
    marker = `SIDEKICK_SHELL=${randomBytes(8).toString('hex')}`;
    const { keeper, pid, exit } = startKeeper(false);
    const shell = standIn({ SIDEKICK_KEEPER: await pid });
    await new Promise((resolve) => setTimeout(resolve, 200));
    keeper.stdin!.end();

    expect(await shell.ended).toBe('SIGKILL');
    expect(await exit).toBe(0);
  }, 30_000);

  it('ends nothing when the client says the session is over', async () => {
    marker = `SIDEKICK_SHELL=${randomBytes(8).toString('hex')}`;
    const { keeper, exit } = startKeeper(true);
    const command = standIn({});
    await new Promise((resolve) => setTimeout(resolve, 200));
    keeper.stdin!.end('done\n');

    expect(await exit).toBe(0);
    expect(alive(command)).toBe(true);
  });

  it("signals what the session started, not the init or the shell, whose traps are the session's own", async () => {
    marker = `SIDEKICK_SHELL=${randomBytes(8).toString('hex')}`;
    const shell = standIn({ SIDEKICK_KEEPER: '4242' });
    const command = standIn({});
    await new Promise((resolve) => setTimeout(resolve, 200));
    const signaller = track(spawn(BUSYBOX!, ['sh', '-c', SIGNAL_SCRIPT, 'sidekick-signal', 'TERM', marker, 'SIDEKICK_KEEPER=4242'], { env: { PATH: '/usr/bin:/bin' }, stdio: 'ignore' }));
    const status = await new Promise((resolve) => signaller.once('exit', resolve));

    expect(status).toBe(0);
    expect(await command.ended).toBe('SIGTERM');
    expect(alive(shell)).toBe(true);
  });
});
