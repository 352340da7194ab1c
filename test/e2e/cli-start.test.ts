/**
 * How the built CLI starts (docs/BENCHMARKS.md, "exec T -- true: where the time goes"): the
 * command line alone for --help, one command's bundle for a command, errors that cross from a
 * command's bundle still reported as sidekick's own, and the code cache of src/cli/code-cache.ts.
 */
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { run } from '../fixtures/docker-cli.js';
import { CLI_PATH, REPO_ROOT, runCli } from './harness.js';

/** Runs the CLI with a preload that prints, at exit, which files and Node modules were loaded. */
async function loadedBy(args: string[], env: Record<string, string>): Promise<{ files: string[]; builtins: string[]; code: number }> {
  const dir = await mkdtemp(join(tmpdir(), 'sidekick-start-'));
  try {
    const preload = join(dir, 'loaded.cjs');
    const report = join(dir, 'loaded.json');
    await writeFile(
      preload,
      `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({ files: Object.keys(require.cache), builtins: process.moduleLoadList })));\n`,
    );
    const result = await run(process.execPath, ['-r', preload, CLI_PATH, ...args], { env: { ...process.env, ...env }, cwd: REPO_ROOT, timeoutMs: 60_000 });
    const loaded = JSON.parse(await readFile(report, 'utf8')) as { files: string[]; builtins: string[] };
    return { ...loaded, code: result.code };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('CLI start', () => {
  let cache: string;

  beforeEach(async () => {
    cache = await mkdtemp(join(tmpdir(), 'sidekick-code-cache-'));
  });

  afterEach(async () => {
    await rm(cache, { recursive: true, force: true });
  });

  it('answers --help and exec --help from the command line alone: no command bundle, no engine client, no child_process', async () => {
    for (const args of [['--help'], ['exec', '--help']]) {
      const loaded = await loadedBy(args, { XDG_CACHE_HOME: cache });
      expect(loaded.code).toBe(0);
      expect(loaded.files.some((file) => file.endsWith('sidekick-main.cjs'))).toBe(true);
      expect(loaded.files.filter((file) => /[/\\]commands[/\\]/.test(file))).toEqual([]);
      expect(loaded.files.filter((file) => /docker-modem|ssh2/.test(file))).toEqual([]);
      const builtins = loaded.builtins.map((name) => name.replace(/^NativeModule /, ''));
      for (const heavy of ['child_process', 'http', 'https', 'tls']) expect(builtins).not.toContain(heavy);
    }
  });

  it('loads the bundle of the command it runs and no other', async () => {
    const loaded = await loadedBy(['sessions', '--json'], { XDG_CACHE_HOME: cache });
    expect(loaded.code).toBe(0);
    const commands = loaded.files.filter((file) => /[/\\]commands[/\\]/.test(file)).map((file) => file.replace(/^.*[/\\]/, ''));
    expect(commands).toEqual(['sessions-command.cjs']);
    // Only an engine over TLS needs https.
    expect(loaded.builtins.map((name) => name.replace(/^NativeModule /, ''))).not.toContain('https');
  });

  it("loads docker-modem's debug log (colours, tty) only when DEBUG asks for it, and then it still logs", async () => {
    const quiet = await loadedBy(['sessions', '--json'], { XDG_CACHE_HOME: cache, DEBUG: '' });
    expect(quiet.code).toBe(0);
    // stdout is a pipe here: only the debug module's colour probe would load tty.
    expect(quiet.builtins.map((name) => name.replace(/^NativeModule /, ''))).not.toContain('tty');
    const logged = await runCli(['sessions', '--json'], { env: { XDG_CACHE_HOME: cache, DEBUG: 'modem' } });
    expect(logged.code).toBe(0);
    expect(logged.stderr).toMatch(/modem Sending: /);
  });

  it('loads the Kubernetes engine only for a pod target, from its own bundle, whose errors are still sidekick\'s own', async () => {
    const docker = await loadedBy(['ps', `sidekick-no-such-container-${process.pid}`], { XDG_CACHE_HOME: cache });
    expect(docker.code).toBe(125);
    expect(docker.files.filter((file) => /kubernetes|client-node/.test(file))).toEqual([]);
    const missing = join(cache, 'no-such-kubeconfig');
    const pod = await loadedBy(['ps', 'pod/web', '--kubeconfig', missing], { XDG_CACHE_HOME: cache });
    expect(pod.code).toBe(125);
    expect(pod.files.filter((file) => /[/\\]commands[/\\]/.test(file)).map((file) => file.replace(/^.*[/\\]/, ''))).toEqual(['ps-command.cjs', 'kubernetes-engine.cjs']);
    const result = await runCli(['ps', 'pod/web', '--kubeconfig', missing]);
    expect(result).toMatchObject({ code: 125, stderr: `sidekick: the kubeconfig ${missing} does not exist.\nCheck the path given to --kubeconfig.\n` });
  });

  it("reports an error a command's bundle throws as sidekick's own (one plain line and a hint, status 125), cache on or off", async () => {
    const envs: Record<string, string>[] = [{ XDG_CACHE_HOME: cache }, { SIDEKICK_CODE_CACHE: 'off' }];
    for (const env of envs) {
      const result = await runCli(['exec', `sidekick-no-such-container-${process.pid}`, '--', 'true'], { env });
      expect(result.code).toBe(125);
      expect(result.stderr).toMatch(/^sidekick: no container named or with an ID starting "sidekick-no-such-container-/);
      expect(result.stderr).not.toMatch(/unexpected failure/);
    }
  });

  it('writes the code cache into a private directory, reuses it, and prints what it prints without it', async () => {
    const plain = await runCli(['exec', '--help'], { env: { SIDEKICK_CODE_CACHE: 'off', XDG_CACHE_HOME: cache } });
    await expect(readdir(cache)).resolves.toEqual([]);
    const first = await runCli(['exec', '--help'], { env: { XDG_CACHE_HOME: cache } });
    expect(first.code).toBe(0);
    expect(first.stdout.toString()).toBe(plain.stdout.toString());
    const dir = join(cache, 'sidekick', 'code-cache');
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    const entries = await readdir(dir);
    const main = entries.find((name) => name.startsWith('sidekick-main.') && name.endsWith('.v8'));
    expect(main).toBeDefined();
    const entry = join(dir, main!);
    const made = await stat(entry);
    expect(made.mode & 0o777).toBe(0o600);

    // Used, not rewritten: an entry V8 accepted is left as it is.
    const second = await runCli(['exec', '--help'], { env: { XDG_CACHE_HOME: cache } });
    expect(second.stdout.toString()).toBe(plain.stdout.toString());
    expect((await stat(entry)).ino).toBe(made.ino);
    expect(await readdir(dir)).toEqual(entries);
  });

  it('does not use an entry others could write, nor one V8 refuses: it compiles from source and writes a new one', async () => {
    const plain = await runCli(['--help'], { env: { SIDEKICK_CODE_CACHE: 'off' } });
    await runCli(['--help'], { env: { XDG_CACHE_HOME: cache } });
    const dir = join(cache, 'sidekick', 'code-cache');
    const main = (await readdir(dir)).find((name) => name.startsWith('sidekick-main.'))!;
    const entry = join(dir, main);

    await chmod(entry, 0o666);
    const before = await stat(entry);
    const shared = await runCli(['--help'], { env: { XDG_CACHE_HOME: cache } });
    expect(shared.stdout.toString()).toBe(plain.stdout.toString());
    const replaced = await stat(entry);
    expect(replaced.ino).not.toBe(before.ino);
    expect(replaced.mode & 0o777).toBe(0o600);

    // Bytes that are not V8's: refused, the bundle compiled from source, the entry replaced.
    await writeFile(entry, randomBytes(4096));
    const garbled = await stat(entry);
    const refused = await runCli(['--help'], { env: { XDG_CACHE_HOME: cache } });
    expect(refused.code).toBe(0);
    expect(refused.stdout.toString()).toBe(plain.stdout.toString());
    expect((await stat(entry)).ino).not.toBe(garbled.ino);
  });
});
