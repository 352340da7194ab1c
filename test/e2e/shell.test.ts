/**
 * sidekick shell: docker exec into the target with the injected toolbox on PATH, as the
 * target's user (or --root), exit status passed through, stdin forwarded, and on a real
 * terminal (tmux) a prompt that names the target.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { check, docker, run } from '../fixtures/docker-cli.js';
import { CLI_PATH, expectUntouched, removeTarget, runCli, snapshotTarget, startTarget, waitForHttp, type TestTarget } from './harness.js';

describe('sidekick shell', () => {
  const targets: TestTarget[] = [];
  const cleanups: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await Promise.all(targets.splice(0).map((t) => removeTarget(t.id)));
  });

  async function injectedDistroless(): Promise<{ target: TestTarget; before: Awaited<ReturnType<typeof snapshotTarget>> }> {
    const target = await startTarget(inject('fixtures').distroless);
    targets.push(target);
    await waitForHttp(target.ip, 8080);
    const before = await snapshotTarget(target.id);
    const injected = await runCli(['inject', target.name]);
    expect(injected.code).toBe(0);
    return { target, before };
  }

  it("runs commands as the target's user with the toolbox first on PATH, passing the exit status through", async () => {
    const { target, before } = await injectedDistroless();

    const asUser = await runCli(['shell', target.name, '--', 'sh', '-c', 'id -u; echo "$PATH"; wget -qO- 127.0.0.1:8080']);
    expect(asUser.stderr).toBe('');
    expect(asUser.stdout.toString()).toBe(
      '65532\n/.sidekick/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nhello from distroless\n',
    );
    expect(asUser.code).toBe(0);

    const asRoot = await runCli(['shell', '--root', target.name, '--', 'id', '-u']);
    expect(asRoot.stdout.toString()).toBe('0\n');

    const status = await runCli(['shell', target.name, '--', 'sh', '-c', 'echo out; echo err >&2; exit 42']);
    expect(status.code).toBe(42);
    expect(status.stdout.toString()).toBe('out\n');
    expect(status.stderr).toBe('err\n');

    const notFound = await runCli(['shell', target.name, '--', 'no-such-tool']);
    expect(notFound.code).toBe(127);

    // Without a command: an interactive shell reading the piped stdin.
    const piped = await runCli(['shell', target.name], { input: 'echo "from stdin $(id -u)"\nexit 3\n' });
    expect(piped.stdout.toString()).toBe('from stdin 65532\n');
    expect(piped.code).toBe(3);

    expect((await runCli(['eject', target.name])).code).toBe(0);
    await expectUntouched(before, target.id);
  });

  it('leaves no process in the target when the CLI is stopped by a signal', async () => {
    const { target, before } = await injectedDistroless();
    const processes = async (): Promise<string> => docker(['exec', target.id, '/.sidekick/bin/ps', '-o', 'pid,args']);
    const cli = spawn(process.execPath, [CLI_PATH, 'shell', target.name, '--', 'sleep', '300'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 15_000;
    while (!/sleep 300/.test(await processes())) {
      if (Date.now() > deadline) throw new Error('the shell command never started');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    cli.kill('SIGTERM');
    expect(await exited).toBe(143);
    const gone = Date.now() + 5_000;
    while (/sleep 300/.test(await processes()) && Date.now() < gone) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await processes()).not.toMatch(/sleep 300/);

    expect((await runCli(['eject', target.name])).code).toBe(0);
    await expectUntouched(before, target.id);
  });

  it('says what to do when nothing is injected', async () => {
    const target = await startTarget(inject('fixtures').scratchServer);
    targets.push(target);
    const before = await snapshotTarget(target.id);
    const result = await runCli(['shell', target.name, '--', 'true']);
    expect(result.code).toBe(125);
    expect(result.stderr).toBe(
      `sidekick: ${target.name} has no sidekick toolbox injected.\n` +
        `Inject one first (sidekick inject ${target.name}), or use sidekick exec ${target.name}, which writes nothing.\n`,
    );
    await expectUntouched(before, target.id);
  });

  it('gives a prompt naming the target on a terminal and returns the shell status', async () => {
    const { target, before } = await injectedDistroless();
    const dir = await mkdtemp(join(tmpdir(), 'sidekick-shell-tty-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const statusFile = join(dir, 'status');
    const session = `sidekick-test-${randomBytes(4).toString('hex')}`;
    await check('tmux', ['-f', '/dev/null', 'new-session', '-d', '-s', session, '-x', '100', '-y', '30', `node ${CLI_PATH} shell ${target.name}; echo "$?" > ${statusFile}; sleep 60`], {
      env: { ...process.env, TERM: 'xterm' },
    });
    cleanups.unshift(() => run('tmux', ['kill-session', '-t', session]));
    const screen = async (): Promise<string> => check('tmux', ['capture-pane', '-p', '-t', session]);
    const waitFor = async (pattern: RegExp): Promise<string> => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const text = await screen();
        if (pattern.test(text)) return text;
        if (Date.now() > deadline) throw new Error(`screen never matched ${pattern}:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await waitFor(new RegExp(`^\\[sidekick ${target.name}\\] ~ \\$`, 'm'));
    await check('tmux', ['send-keys', '-t', session, 'tty; id -u', 'Enter']);
    await waitFor(/^\/dev\/pts\/\d+\n65532$/m);
    await check('tmux', ['send-keys', '-t', session, 'exit 5', 'Enter']);
    const deadline = Date.now() + 15_000;
    let status = '';
    while (!status.endsWith('\n') && Date.now() < deadline) {
      status = await readFile(statusFile, 'utf8').catch(() => '');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(status).toBe('5\n');

    expect((await runCli(['eject', target.name])).code).toBe(0);
    await expectUntouched(before, target.id);
  });
});
