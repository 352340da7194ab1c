/**
 * `docker sidekick …` through the real docker CLI: the plugin is installed by `sidekick
 * install-plugin` into a throwaway DOCKER_CONFIG, and docker finds, describes and runs it.
 */
import { spawn } from 'node:child_process';
import { lstat, mkdtemp, readlink, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { run } from '../fixtures/docker-cli.js';
import { CLI_PATH, removeTarget, runCli, startTarget, waitForHttp, type TestTarget } from './harness.js';
import { expectNoSidekicksFor, sidekicksFor } from './own-sidekicks.js';

describe('sidekick as a Docker CLI plugin', () => {
  let config: string;
  let target: TestTarget | undefined;
  const dockerCli = (args: string[]) => run('docker', args, { env: { ...process.env, DOCKER_CONFIG: config }, timeoutMs: 60_000 });

  beforeAll(async () => {
    config = await mkdtemp(join(tmpdir(), 'sidekick-plugin-test-'));
    const installed = await runCli(['install-plugin'], { env: { DOCKER_CONFIG: config } });
    expect(installed.stderr).toBe('');
    expect(installed.code).toBe(0);
  });
  afterAll(async () => {
    await rm(config, { recursive: true, force: true });
  });
  afterEach(async () => {
    if (target) await removeTarget(target.id);
    target = undefined;
  });

  it('is installed as a link to this sidekick in $DOCKER_CONFIG/cli-plugins, and docker lists it with its metadata', async () => {
    const plugin = join(config, 'cli-plugins', 'docker-sidekick');
    expect((await lstat(plugin)).isSymbolicLink()).toBe(true);
    expect(await readlink(plugin)).toBe(await realpath(CLI_PATH));
    const info = await dockerCli(['info', '--format', '{{json .ClientInfo.Plugins}}']);
    const plugins = JSON.parse(info.stdout.toString()) as { Name: string; SchemaVersion: string; Vendor: string; Version: string; Err?: string }[];
    const version = (await runCli(['--version'])).stdout.toString().trim();
    expect(plugins.find((p) => p.Name === 'sidekick')).toMatchObject({ SchemaVersion: '0.1.0', Vendor: 'sidekick', Version: version });
    expect(plugins.find((p) => p.Name === 'sidekick')?.Err).toBeUndefined();
  });

  it('runs `docker sidekick exec` and `docker sidekick inspect` against a target, and completes for docker', async () => {
    const { scratchServer } = inject('fixtures');
    target = await startTarget(scratchServer);
    await waitForHttp(target.ip, 8080);

    const exec = await dockerCli(['sidekick', 'exec', target.name, '--', 'sh', '-c', 'cat /proc/1/cmdline; exit 7']);
    expect(exec.stderr).toBe('');
    expect(exec.stdout.toString()).toBe('/server\0');
    expect(exec.code).toBe(7);

    // docker's own completion (`docker completion bash|zsh|fish`) asks the plugin as cobra does.
    const completed = await dockerCli(['__complete', 'sidekick', 'exec', target.name.slice(0, -2)]);
    expect(completed.stdout.toString()).toBe(`${target.name}\n:4\n`);
    expect((await dockerCli(['__complete', 'sidekick', 'ex'])).stdout.toString()).toBe('exec\n:4\n');

    const inspect = await dockerCli(['sidekick', 'inspect', '--json', target.name]);
    expect(inspect.code).toBe(0);
    expect(JSON.parse(inspect.stdout.toString()).identity).toMatchObject({ id: target.id, name: target.name });
    await expectNoSidekicksFor(target.id);
  });

  it("honours the docker CLI's --context, -c and -H written before `sidekick`", async () => {
    const { scratchServer } = inject('fixtures');
    target = await startTarget(scratchServer);
    // The same engine through another spelling of its socket, and a context whose engine is absent.
    const created = await dockerCli(['context', 'create', 'same-engine', '--docker', 'host=unix:///run/../var/run/docker.sock']);
    expect(created.code).toBe(0);
    expect((await dockerCli(['context', 'create', 'nowhere', '--docker', 'host=unix:///nonexistent/docker.sock'])).code).toBe(0);

    const viaContext = await dockerCli(['--context', 'same-engine', 'sidekick', '--debug', 'exec', target.name, '--', 'true']);
    expect(viaContext.stderr).toContain('engine unix:///run/../var/run/docker.sock (from --context "same-engine")');
    expect(viaContext.code).toBe(0);
    const viaShort = await dockerCli(['-c', 'nowhere', 'sidekick', 'ps', target.name]);
    expect(viaShort.code).toBe(125);
    expect(viaShort.stderr).toContain('unix:///nonexistent/docker.sock');

    const viaHost = await dockerCli(['-H', 'unix:///var/run/docker.sock', 'sidekick', '--debug', 'ps', target.name]);
    expect(viaHost.stderr).toContain('engine unix:///var/run/docker.sock (from --host)');
    expect(viaHost.stdout.toString()).toMatch(/^1\s+0\s+.*\/server$/m);
    expect(viaHost.code).toBe(0);
    const elsewhere = await dockerCli(['-H', 'unix:///nonexistent/other.sock', 'sidekick', 'ps', target.name]);
    expect(elsewhere.code).toBe(125);
    expect(elsewhere.stderr).toContain('unix:///nonexistent/other.sock');
  });

  it('ends its session when docker is interrupted without a terminal (docker closes the plugin socket)', { timeout: 60_000 }, async () => {
    const { scratchServer } = inject('fixtures');
    target = await startTarget(scratchServer);
    // Only docker gets the signal: it is not a terminal's foreground group, so docker tells the plugin through its socket.
    const child = spawn('docker', ['sidekick', 'exec', target.id, '--', 'sleep', '600'], {
      env: { ...process.env, DOCKER_CONFIG: config },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while ((await sidekicksFor(target.id)).length === 0) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error('docker sidekick exec did not start its sidekick');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      child.kill('SIGINT');
      // Without the watch the plugin would sleep on for 600 s (and docker wait for it); the test's timeout is the bound.
      expect(await exited).not.toBe(0);
      await expectNoSidekicksFor(target.id);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('is removed by install-plugin --uninstall, and docker no longer knows `docker sidekick`', async () => {
    const other = await mkdtemp(join(tmpdir(), 'sidekick-plugin-test-'));
    try {
      const env = { DOCKER_CONFIG: other };
      expect((await runCli(['install-plugin'], { env })).code).toBe(0);
      const script = await run('docker', ['sidekick', 'completion', 'bash'], { env: { ...process.env, ...env } });
      expect(script.stdout.toString()).toContain('complete -o default -o bashdefault -F _sidekick_complete sidekick');
      const removed = await runCli(['install-plugin', '--uninstall'], { env });
      expect(removed.code).toBe(0);
      await expect(lstat(join(other, 'cli-plugins', 'docker-sidekick'))).rejects.toThrow(/ENOENT/);
      const gone = await run('docker', ['sidekick', 'completion', 'bash'], { env: { ...process.env, ...env } });
      expect(gone.code).not.toBe(0);
      expect(gone.stderr).toMatch(/unknown command|is not a docker command/);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });
});

