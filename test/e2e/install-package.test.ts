/**
 * The packed package, installed as a user would: `npm install -g` of the `npm pack` tarball
 * into a throwaway prefix, offline and with an empty npm cache (so nothing can come from a
 * registry), then run from outside the repository.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { run } from '../fixtures/docker-cli.js';
import { REPO_ROOT, removeTarget, startTarget, waitForHttp } from './harness.js';
import { expectNoSidekicksFor } from './own-sidekicks.js';

describe('the npm package', () => {
  let dir: string;
  let tarball: string;
  let sidekick: string;
  let version: string;
  /** npm with its own empty cache, offline: a package that needed the registry would fail to install. */
  const npm = (args: string[], cache: string) =>
    run('npm', [...args, '--offline', '--no-audit', '--no-fund'], { cwd: dir, env: { ...process.env, npm_config_cache: cache, npm_config_update_notifier: 'false' }, timeoutMs: 120_000 });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sidekick-package-test-'));
    version = (JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    // The tests run the bundle that `npm run build` made; prepack would rebuild it under the other tests.
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO_ROOT, timeoutMs: 120_000 });
    expect(packed.code, packed.stderr).toBe(0);
    const [report] = JSON.parse(packed.stdout.toString()) as { filename: string; files: { path: string }[] }[];
    const files = report!.files.map((file) => file.path);
    // The bundles and the static helpers (the relay, the pod archive's unpacker); no sources, tests, maps or node_modules.
    const helpers = ['dist/sidekick-relay', 'dist/sidekick-unpack'];
    expect(files).toEqual(expect.arrayContaining(['README.md', 'package.json', 'dist/sidekick.cjs', 'dist/sidekick-main.cjs', ...helpers]));
    expect(files.filter((path) => !['README.md', 'package.json'].includes(path) && !/^dist\/[^]*\.cjs$/.test(path) && !helpers.includes(path))).toEqual([]);
    tarball = join(dir, report!.filename);
    const installed = await npm(['install', '--global', '--prefix', join(dir, 'prefix'), tarball], join(dir, 'cache'));
    expect(installed.code, installed.stderr).toBe(0);
    sidekick = join(dir, 'prefix', 'bin', 'sidekick');
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('installs offline with nothing but itself: no dependency, no build step', async () => {
    const installedDir = join(dir, 'prefix', 'lib', 'node_modules', 'sidekick');
    expect((await readdir(installedDir)).sort()).toEqual(['README.md', 'dist', 'package.json']);
    const manifest = JSON.parse(await readFile(join(installedDir, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.dependencies).toBeUndefined();
    const result = await run(sidekick, ['--version'], { cwd: dir });
    expect(result.stdout.toString()).toBe(`${version}\n`);
    expect(result.code).toBe(0);
  });

  it('debugs a target with the installed command', async () => {
    const { scratchServer } = inject('fixtures');
    const target = await startTarget(scratchServer);
    try {
      const result = await run(sidekick, ['exec', target.name, '--', 'sh', '-c', 'cat /proc/1/cmdline; exit 3'], { cwd: dir, timeoutMs: 60_000 });
      expect(result.stderr).toBe('');
      expect(result.stdout.toString()).toBe('/server\0');
      expect(result.code).toBe(3);
      await expectNoSidekicksFor(target.id);
    } finally {
      await removeTarget(target.id);
    }
  });

  it('forwards ports through the relay it ships (found through npm\'s bin link)', async () => {
    const { scratchServer } = inject('fixtures');
    const target = await startTarget(scratchServer);
    await waitForHttp(target.ip, 8080);
    const child = spawn(sidekick, ['--debug', 'port-forward', target.name, '0:8080'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let stderr = '';
    try {
      await new Promise<void>((resolve, reject) => {
        child.stderr.on('data', (chunk: Buffer) => {
          stderr += chunk.toString();
          if (/connections go through the relay/.test(stderr)) resolve();
          if (/one exec per connection/.test(stderr)) reject(new Error(`port-forward did not find the relay: ${stderr}`));
        });
        child.once('exit', () => reject(new Error(`port-forward ended before using the relay: ${stderr}`)));
      });
      child.kill('SIGINT');
      await exited;
      await expectNoSidekicksFor(target.id);
    } finally {
      child.kill('SIGKILL');
      await removeTarget(target.id);
    }
  });

  it('reaches ssh:// engines with what the package ships', async () => {
    // Nothing listens on port 1: the ssh client loads, connects and is refused.
    const result = await run(sidekick, ['-H', 'ssh://nobody@127.0.0.1:1', 'sessions'], { cwd: dir, timeoutMs: 60_000 });
    expect(result.stderr).not.toMatch(/Cannot find module/);
    expect(result.stderr).toMatch(/cannot reach the Docker engine at ssh:\/\/nobody@127\.0\.0\.1:1.*(ECONNREFUSED|Connection refused)/);
    expect(result.code).toBe(125);
  });

  it('runs with npx from the tarball', async () => {
    const env = { ...process.env, npm_config_cache: join(dir, 'npx-cache'), npm_config_update_notifier: 'false' };
    const result = await run('npx', ['--offline', '--yes', `./${basename(tarball)}`, '--version'], { cwd: dir, env, timeoutMs: 120_000 });
    expect(result.stdout.toString()).toBe(`${version}\n`);
    expect(result.code).toBe(0);
    const named = await run('npx', ['--offline', '--yes', `--package=${tarball}`, '--', 'sidekick', 'completion', 'bash'], { cwd: dir, env, timeoutMs: 120_000 });
    expect(named.stdout.toString()).toContain('complete -o default -o bashdefault -F _sidekick_complete sidekick');
  });
});
