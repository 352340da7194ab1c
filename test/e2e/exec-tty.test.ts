import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { CLI_PATH, expectUntouched, removeTarget, snapshotTarget, startTarget, waitForHttp, type TestTarget } from './harness.js';
import { expectNoSidekicks } from './sidekick-leftovers.js';
import { TmuxSession, waitForFile } from './tmux-session.js';

describe('sidekick exec on a terminal', () => {
  let target: TestTarget | undefined;
  let tmux: TmuxSession | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await tmux?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
    if (target) await removeTarget(target.id);
    tmux = undefined;
    dir = undefined;
    target = undefined;
  });

  it("starts the session's terminal at the client's size: the first command reads it", async () => {
    target = await startTarget(inject('fixtures').scratchServer);
    dir = await mkdtemp(join(tmpdir(), 'sidekick-tty-'));
    const statusFile = join(dir, 'status');
    // The command is the session's first and only one: no prompt, no keystroke gives the size time to arrive.
    tmux = await TmuxSession.start(`node ${CLI_PATH} exec -it ${target.name} -- stty size; echo "$?" > ${statusFile}; sleep 60`, 97, 31);
    const status = await waitForFile(statusFile);
    const screen = await tmux.screen();
    expect(screen).toMatch(/^31 97$/m);
    expect(status).toBe('0\n');
    await expectNoSidekicks(target.id);
  });

  it('gives a prompt, runs commands, follows resizes, passes Ctrl-C, and returns the shell status', async () => {
    target = await startTarget(inject('fixtures').scratchServer);
    await waitForHttp(target.ip, 8080);
    const before = await snapshotTarget(target.id);
    dir = await mkdtemp(join(tmpdir(), 'sidekick-tty-'));
    const statusFile = join(dir, 'status');
    tmux = await TmuxSession.start(`node ${CLI_PATH} exec ${target.name}; echo "$?" > ${statusFile}; sleep 60`, 120, 40);

    const greeting = await tmux.waitFor(/\[sidekick [^\]]+\] \/ #/);
    expect(greeting).toMatch(/sidekick: \/ is the root of sidekick-test-\w+ \(nothing is written to it\)/);

    await tmux.type('echo $((6*7))', 'Enter');
    await tmux.waitFor(/^42$/m);

    await tmux.type('stty size', 'Enter');
    await tmux.waitFor(/^40 120$/m);
    await tmux.resize(100, 30);
    await tmux.type('clear; stty size', 'Enter');
    await tmux.waitFor(/^30 100$/m);

    await tmux.type('sleep 100; echo not-interrupted', 'Enter');
    await new Promise((resolve) => setTimeout(resolve, 500));
    await tmux.type('C-c');
    await tmux.type('echo still-here', 'Enter');
    const afterInterrupt = await tmux.waitFor(/^still-here$/m);
    expect(afterInterrupt).not.toMatch(/^not-interrupted$/m);

    await tmux.type('exit 3', 'Enter');
    expect(await waitForFile(statusFile)).toBe('3\n');

    await expectNoSidekicks(target.id);
    await expectUntouched(before, target.id);
  });
});
