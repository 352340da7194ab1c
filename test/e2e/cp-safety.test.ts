/**
 * `sidekick cp` under interruption and hostile input (issues 8 and 9): copies are
 * all-or-nothing both ways whatever signal ends the CLI, a destination is never followed
 * through a symlink a container planted, devices and FIFOs are written through rather than
 * replaced, and a tar on stdin is checked like any archive. Witnesses: `docker diff`, the
 * engine's container list, and the host's directories.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pack } from 'tar-stream';
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { craftedTar, ensureHostileImage } from '../fixtures/hostile-fixtures.js';
import { docker, lines, run } from '../fixtures/docker-cli.js';
import { CLI_PATH, REPO_ROOT, removeTarget, runCli, snapshotTarget, startTarget, type TestTarget } from './harness.js';
import { expectNoSidekicksFor } from './own-sidekicks.js';

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function startCli(args: string[], stdin: 'pipe' | 'ignore'): { child: ChildProcess; ended: Promise<Ended> } {
  const child = spawn(process.execPath, [CLI_PATH, ...args], { cwd: REPO_ROOT, stdio: [stdin, 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin?.on('error', () => undefined);
  const ended = new Promise<Ended>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, ended };
}

/** Polls until `condition` holds, or fails after `timeoutMs` saying what was awaited. */
async function waitFor(what: string, condition: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function diffLines(id: string): Promise<string[]> {
  return lines(await docker(['diff', id]));
}

/**
 * Whether the engine has begun writing `big` into a staging directory in `directory` of the
 * target. Read in the container's upper layer on this host: `docker diff` would wait for the
 * upload to end, since the engine locks the container while it unpacks (and so would
 * `docker inspect`: the layer's path is asked for before the upload starts).
 */
async function upperDir(id: string): Promise<string> {
  return (await docker(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', id])).trim();
}

async function uploadUnderWay(upper: string, directory: string): Promise<boolean> {
  const names = await readdir(path.join(upper, directory)).catch(() => [] as string[]);
  for (const name of names) {
    if (name.startsWith('.sidekick-cp-') && (await readdir(path.join(upper, directory, name)).catch(() => [] as string[])).includes('big')) return true;
  }
  return false;
}

describe('sidekick cp, interrupted and attacked', () => {
  let target: TestTarget | undefined;
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'sidekick-cp-safety-'));
  });
  afterEach(async () => {
    if (target) await removeTarget(target.id);
    target = undefined;
    await rm(work, { recursive: true, force: true });
  });

  describe('into a container, interrupted', () => {
    /**
     * `cp - T:/tmp` with a tar whose one file is announced as 300 MB: the test writes it piece
     * by piece and stops writing once the engine shows the upload in the target, so the signal
     * always comes while the copy is under way.
     */
    async function interruptUpload(signal: NodeJS.Signals): Promise<Ended> {
      const { distroless } = inject('fixtures');
      target = await startTarget(distroless);
      const before = await snapshotTarget(target.id);
      const upper = await upperDir(target.id);
      const { child, ended } = startCli(['cp', '-', `${target.name}:/tmp`], 'pipe');
      const tar = pack();
      tar.on('error', () => undefined);
      tar.pipe(child.stdin!);
      const body = tar.entry({ name: 'big', size: 300 * 1024 * 1024, mode: 0o644 });
      body.on('error', () => undefined);
      const chunk = Buffer.alloc(1024 * 1024, 7);
      let underWay = false;
      const writer = (async () => {
        for (let i = 0; i < 299 && !underWay; i++) {
          if (!body.write(chunk)) await new Promise<void>((resolve) => body.once('drain', () => resolve()));
        }
      })();
      try {
        await waitFor('the upload to show in the target', () => uploadUnderWay(upper, 'tmp'), 30_000);
      } catch (error) {
        child.kill('SIGKILL');
        throw new Error(`${String(error)}; the CLI said: ${(await ended).stderr}`);
      }
      underWay = true;
      child.kill(signal);
      const result = await ended;
      // The writer may wait for room in a pipe nobody reads any more: end it without waiting.
      body.destroy();
      tar.destroy();
      child.stdin?.destroy();
      void writer.catch(() => undefined);
      // After SIGKILL nothing of the CLI runs: the helper in the target sees its input end and removes the upload.
      await expectNoSidekicksFor(target.id);
      expect(await snapshotTarget(target.id)).toEqual(before);
      return result;
    }

    it.each([
      ['SIGINT', 130],
      ['SIGTERM', 143],
      ['SIGHUP', 129],
    ] as const)('%s during the upload leaves the target exactly as it was', async (signal, status) => {
      const result = await interruptUpload(signal);
      expect(result.stderr).toMatch(new RegExp(`interrupted by ${signal}; nothing was copied`));
      expect(result.code).toBe(status);
    });

    it('SIGKILL of the CLI during the upload: the helper removes it when its input ends', async () => {
      const result = await interruptUpload('SIGKILL');
      expect(result.signal).toBe('SIGKILL');
    });

    it('SIGINT while a large local file is uploaded leaves no truncated file under its name', async () => {
      const { scratchServer } = inject('fixtures');
      target = await startTarget(scratchServer);
      await mkdir(path.join(work, 'src'));
      const big = path.join(work, 'src', 'big');
      await writeFile(big, '');
      await truncate(big, 600 * 1024 * 1024);
      const before = await snapshotTarget(target.id);
      const upper = await upperDir(target.id);
      const { child, ended } = startCli(['cp', big, `${target.name}:/big`], 'ignore');
      await waitFor('the upload to show in the target', () => uploadUnderWay(upper, '/'));
      child.kill('SIGINT');
      const result = await ended;
      expect(result.stderr).toMatch(/interrupted by SIGINT; nothing was copied/);
      expect(result.code).toBe(130);
      await expectNoSidekicksFor(target.id);
      expect(await snapshotTarget(target.id)).toEqual(before);
    });
  });

  describe('out of a container, interrupted', () => {
    async function targetWithBigFile(): Promise<TestTarget> {
      const { scratchServer } = inject('fixtures');
      const started = await startTarget(scratchServer);
      const big = path.join(work, 'big');
      await writeFile(big, '');
      await truncate(big, 600 * 1024 * 1024);
      await docker(['cp', big, `${started.id}:/big`]);
      await rm(big);
      return started;
    }

    it.each(['SIGINT', 'SIGKILL'] as const)('%s leaves nothing in the destination directory', async (signal) => {
      target = await targetWithBigFile();
      const out = path.join(work, 'out');
      await mkdir(out);
      const { child, ended } = startCli(['cp', `${target.name}:/big`, out], 'ignore');
      await waitFor('the copy to be under way', async () => {
        for (const name of await readdir(out)) {
          if (name.startsWith('.sidekick-cp-') && (await readdir(path.join(out, name)).catch(() => [])).length > 0) return true;
        }
        return false;
      });
      child.kill(signal);
      const result = await ended;
      if (signal === 'SIGKILL') {
        expect(result.signal).toBe('SIGKILL');
        // The watchdog removes the staging directory once the CLI's pipe to it closes.
        await waitFor('the staging directory to be removed', async () => (await readdir(out)).length === 0, 10_000);
      } else {
        expect(result.stderr).toMatch(/interrupted by SIGINT; nothing was copied/);
        expect(result.code).toBe(130);
      }
      expect(await readdir(out)).toEqual([]);
      expect(await readdir(work)).toEqual(['out']);
    });
  });

  describe('hostile targets and odd destinations', () => {
    let hostile = '';
    beforeAll(async () => {
      hostile = await ensureHostileImage();
    }, 300_000);

    it('the two-step escape: a symlink brought out of a target is never written through', async () => {
      target = await startTarget(hostile);
      const hostDir = path.join(work, 'host-dir');
      await mkdir(hostDir);
      await writeFile(path.join(hostDir, 'keep'), 'mine');
      await run('docker', ['cp', '-', `${target.id}:/`], {
        input: craftedTar([
          { name: 'hostlink', type: 'symlink', linkname: hostDir },
          { name: 'etc/', type: 'directory' },
          { name: 'etc/passwd', type: 'file', content: 'root:x:0:0::/:/bin/sh\n' },
        ]),
      });
      const out = path.join(work, 'out');
      // Step one: the root comes out with the link as a link.
      const first = await runCli(['cp', `${target.name}:/`, out]);
      expect({ code: first.code, stderr: first.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await readlink(path.join(out, 'hostlink'))).toBe(hostDir);
      // Step two, every spelling: refused, and the host directory is untouched.
      for (const destination of [path.join(out, 'hostlink'), `${path.join(out, 'hostlink')}/`, path.join(out, 'hostlink', 'etc')]) {
        const second = await runCli(['cp', `${target.name}:/etc`, destination]);
        expect(second.code).toBe(125);
        expect(second.stderr).toMatch(/refusing to write through the symlink .*hostlink/);
      }
      const file = await runCli(['cp', `${target.name}:/etc/passwd`, path.join(out, 'hostlink')]);
      expect(file.code).toBe(125);
      expect(await readdir(hostDir)).toEqual(['keep']);
      expect(await readFile(path.join(hostDir, 'keep'), 'utf8')).toBe('mine');
      expect((await lstat(path.join(out, 'hostlink'))).isSymbolicLink()).toBe(true);
    });

    it('writes through a character device and a FIFO, never replacing them; a link to stdout is refused', async () => {
      target = await startTarget(hostile);
      await run('docker', ['cp', '-', `${target.id}:/`], { input: craftedTar([{ name: 'file', type: 'file', content: 'the bytes\n' }]) });
      const device = path.join(work, 'null');
      await run('mknod', [device, 'c', '1', '3']);
      const toDevice = await runCli(['cp', `${target.name}:/file`, device]);
      expect({ code: toDevice.code, stderr: toDevice.stderr }).toEqual({ code: 0, stderr: '' });
      expect((await lstat(device)).isCharacterDevice()).toBe(true);

      const fifo = path.join(work, 'fifo');
      await run('mkfifo', [fifo]);
      const reader = run('cat', [fifo]);
      const toFifo = await runCli(['cp', `${target.name}:/file`, fifo]);
      expect({ code: toFifo.code, stderr: toFifo.stderr }).toEqual({ code: 0, stderr: '' });
      expect((await reader).stdout.toString()).toBe('the bytes\n');
      expect((await lstat(fifo)).isFIFO()).toBe(true);

      await symlink('/proc/self/fd/1', path.join(work, 'stdout-link'));
      const toLink = await runCli(['cp', `${target.name}:/file`, path.join(work, 'stdout-link')]);
      expect(toLink.code).toBe(125);
      expect(toLink.stderr).toMatch(/symlink/);
      expect(await readlink(path.join(work, 'stdout-link'))).toBe('/proc/self/fd/1');
      expect((await readdir(work)).sort()).toEqual(['fifo', 'null', 'stdout-link']);
    });

    it('refuses crafted tars on stdin and changes nothing in the target', async () => {
      target = await startTarget(hostile);
      await run('docker', ['cp', '-', `${target.id}:/`], { input: craftedTar([{ name: 'dir/', type: 'directory' }]) });
      const before = await snapshotTarget(target.id);
      const absolute = pack();
      absolute.entry({ name: '/pwned', mode: 0o644 }, 'x');
      absolute.finalize();
      const crafted: Array<[string, NodeJS.ReadableStream]> = [
        ['an absolute name', absolute as unknown as NodeJS.ReadableStream],
        [
          'a file through a symlink the tar makes',
          craftedTar([
            { name: 'esc', type: 'symlink', linkname: '/' },
            { name: 'esc/pwned', type: 'file', content: 'x' },
          ]),
        ],
        [
          'a directory through a symlink the tar makes',
          craftedTar([
            { name: 'esc', type: 'symlink', linkname: '/tmp' },
            { name: 'esc/sub/', type: 'directory' },
          ]),
        ],
      ];
      for (const [what, tar] of crafted) {
        const input = Buffer.concat(await collect(tar));
        const result = await runCli(['cp', '-', `${target.name}:/dir`], { input });
        expect({ what, code: result.code }).toEqual({ what, code: 125 });
        expect(result.stderr).toMatch(/refused the tar on stdin/);
        await expectNoSidekicksFor(target.id);
        expect(await snapshotTarget(target.id)).toEqual(before);
      }
      // An honest tar still goes in.
      const honest = Buffer.concat(await collect(craftedTar([{ name: 'sub/', type: 'directory' }, { name: 'sub/ok', type: 'file', content: 'fine' }])));
      const ok = await runCli(['cp', '-', `${target.name}:/dir`], { input: honest });
      expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await diffLines(target.id)).toContain('A /dir/sub/ok');
    });

    it('says what a path really is, and refuses empty arguments', async () => {
      target = await startTarget(hostile);
      await run('docker', ['cp', '-', `${target.id}:/`], { input: craftedTar([{ name: 'link', type: 'symlink', linkname: '/nowhere' }]) });
      await writeFile(path.join(work, 'f'), 'x');
      const underLink = await runCli(['cp', path.join(work, 'f'), `${target.name}:/link/f`]);
      expect(underLink.code).toBe(125);
      expect(underLink.stderr).toMatch(/:\/link is a symlink to \/nowhere, which is not an existing directory/);
      for (const args of [
        ['cp', `${target.name}:/etc`, ''],
        ['cp', '', `${target.name}:/tmp`],
        ['cp', `${target.name}:`, path.join(work, 'x')],
      ]) {
        const result = await runCli(args);
        expect(result.code).toBe(125);
        expect(result.stderr).toMatch(/empty|names no path/);
      }
      expect((await readdir(work)).sort()).toEqual(['f']);
    });

    it('a read-only root: a plain message naming the volume to use', async () => {
      const { scratchServer } = inject('fixtures');
      const volume = `sidekick-test-cp-${randomBytes(4).toString('hex')}`;
      target = await startTarget(scratchServer, { readOnly: true, dockerArgs: ['--tmpfs', '/tmp', '-v', `${volume}:/data`] });
      try {
        await writeFile(path.join(work, 'f'), 'x');
        const before = await snapshotTarget(target.id);
        const rootfs = await runCli(['cp', path.join(work, 'f'), `${target.name}:/f`]);
        expect(rootfs.code).toBe(125);
        expect(rootfs.stderr).toMatch(/the root filesystem of .* is read-only; nothing was copied/);
        expect(rootfs.stderr).toMatch(/writable volumes: \/data \(volume\)/);
        expect(rootfs.stderr).not.toMatch(/HTTP|500/);
        const tmpfs = await runCli(['cp', path.join(work, 'f'), `${target.name}:/tmp/f`]);
        expect(tmpfs.code).toBe(125);
        expect(tmpfs.stderr).toMatch(/not into its tmpfs \/tmp/);
        const intoVolume = await runCli(['cp', path.join(work, 'f'), `${target.name}:/data/f`]);
        expect({ code: intoVolume.code, stderr: intoVolume.stderr }).toEqual({ code: 0, stderr: '' });
        await expectNoSidekicksFor(target.id);
        expect(await snapshotTarget(target.id)).toEqual(before);
      } finally {
        await removeTarget(target.id);
        target = undefined;
        await docker(['volume', 'rm', '-f', volume]);
      }
    });
  });
});

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer[]> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return chunks;
}
