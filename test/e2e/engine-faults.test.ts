/**
 * The engine goes away under a running command: a second dockerd (never the default one)
 * is killed with SIGKILL, as a crash would, and sometimes started again. sidekick must
 * say so and end with 125 in bounded time, never hang and never call it a bug of its own,
 * and a port-forward must carry on once the engine and the target are back.
 * docs/RELIABILITY.md, "The engine goes away".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { docker, lines } from '../fixtures/docker-cli.js';
import { startSecondEngine, type SecondEngine } from '../fixtures/second-engine.js';
import { CLI_PATH, REPO_ROOT, TEST_TARGET_LABEL, httpGet } from './harness.js';

interface RunningCli {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number>;
}

describe('when the engine goes away (a second dockerd killed with SIGKILL)', () => {
  let engine: SecondEngine;
  const clis: RunningCli[] = [];

  function cli(args: string[]): RunningCli {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, DOCKER_HOST: engine.host },
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal === 'SIGKILL' ? 137 : 128))));
    const running = { child, stdout: () => stdout, stderr: () => stderr, exit };
    clis.push(running);
    return running;
  }

  async function target(extra: string[] = []): Promise<string> {
    return (await engine.docker(['run', '-d', '--label', TEST_TARGET_LABEL, ...extra, inject('fixtures').scratchServer])).trim();
  }

  async function until<T>(what: string, attempt: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const value = await attempt();
        if (value !== undefined) return value;
      } catch (error) {
        last = error;
      }
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  /** Resolves within `ms` with the exit status, or with "still running". */
  function exitWithin(running: RunningCli, ms: number): Promise<number | 'still running'> {
    return Promise.race([running.exit, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), ms))]);
  }

  beforeAll(async () => {
    engine = await startSecondEngine();
    const toolboxes = lines(await docker(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=sidekick-toolbox:busybox-*-init-*']));
    await engine.loadImages([inject('fixtures').scratchServer, ...toolboxes]);
  });

  afterEach(async () => {
    for (const running of clis.splice(0)) {
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
      await running.exit;
    }
    if (!engine.running()) await engine.start();
  });

  afterAll(async () => {
    await engine?.destroy();
  });

  it('exec ends with 125 within seconds and says the engine went away', async () => {
    const id = await target();
    const exec = cli(['exec', id, '--', 'sleep', '1000']);
    await until('the sidekick to run', async () => (lines(await engine.docker(['ps', '-q', '--filter', 'label=io.sidekick.kind'])).length > 0 ? true : undefined));
    await engine.kill();
    expect(await exitWithin(exec, 15_000)).toBe(125);
    expect(exec.stderr()).toMatch(/the Docker engine at unix:\/\/\S+ went away/);
    expect(exec.stderr()).not.toMatch(/bug/i);
    expect(exec.stderr().trim().split('\n').length).toBeLessThanOrEqual(2);
    await engine.start();
  });

  it('port-forward resets the connections in flight and carries on once the engine and the target are back', async () => {
    const id = await target(['--restart', 'always']);
    const forward = cli(['port-forward', id, '0:8080']);
    const port = await until('the forward to listen', async () => {
      const found = /Forwarding 127\.0\.0\.1:(\d+)/.exec(forward.stdout())?.[1];
      return found === undefined ? undefined : Number(found);
    });
    expect(await httpGet('127.0.0.1', port)).toEqual({ status: 200, body: 'hello from scratch\n' });

    // A connection open through the forward, waiting for the server, when the engine dies.
    const idle = connect({ host: '127.0.0.1', port });
    const idleEnd = new Promise<string>((resolve) => {
      idle.on('data', () => undefined);
      idle.on('end', () => resolve('closed cleanly'));
      idle.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    await new Promise((resolve) => idle.once('connect', resolve));
    await new Promise((resolve) => setTimeout(resolve, 500));

    await engine.kill();
    await engine.start();
    // The relay does not need the engine: the connection lives until the restarted engine
    // kills the target (restore), and then ends as the server's death ends it; through
    // exec tunnels it is reset when the engine dies. Either way it ends, and never hangs.
    expect(['ECONNRESET', 'closed cleanly']).toContain(await idleEnd);

    const answer = await until('the forward to answer again', async () => httpGet('127.0.0.1', port), 60_000);
    expect(answer).toEqual({ status: 200, body: 'hello from scratch\n' });
    expect(forward.child.exitCode).toBeNull();
    expect(forward.stderr()).toMatch(/went away/);

    forward.child.kill('SIGINT');
    expect(await forward.exit).toBe(130);
    await until('the forwarder to be removed', async () =>
      lines(await engine.docker(['ps', '-aq', '--filter', 'label=io.sidekick.kind=forwarder'])).length === 0 ? true : undefined,
    );
  });

  it('port-forward ends with 125 when the engine does not come back', async () => {
    const id = await target();
    const forward = cli(['port-forward', id, '0:8080']);
    await until('the forward to listen', async () => (/Forwarding/.test(forward.stdout()) ? true : undefined));
    await engine.kill();
    try {
      expect(await exitWithin(forward, 60_000)).toBe(125);
      expect(forward.stderr()).toMatch(/the Docker engine at unix:\/\/\S+ went away/);
      expect(forward.stderr()).not.toMatch(/bug/i);
    } finally {
      await engine.start();
    }
  });
});
