/**
 * The helper's program, run here by a real busybox sh on a temporary tree standing for the
 * target's root (in a sidekick it runs chrooted into the target).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cpPublishScript } from './cp-publish-script.js';

const BUSYBOX = ['/bin/busybox', '/usr/bin/busybox'].find((candidate) => existsSync(candidate));
const APPLETS = ['mv', 'rm', 'mkdir', 'rmdir', 'stat', 'touch', 'sleep', 'chmod'];

class Helper {
  private output = '';
  readonly done: Promise<number>;
  constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    this.done = new Promise((resolve) => child.once('exit', (code) => resolve(code ?? -1)));
  }
  send(text: string): void {
    this.child.stdin.write(text);
  }
  end(): void {
    this.child.stdin.end();
  }
  async line(): Promise<string> {
    for (let i = 0; i < 500; i++) {
      const newline = this.output.indexOf('\n');
      if (newline >= 0) {
        const line = this.output.slice(0, newline);
        this.output = this.output.slice(newline + 1);
        return line;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no line from the helper; so far: ${JSON.stringify(this.output)}`);
  }
}

describe.skipIf(BUSYBOX === undefined)('cpPublishScript', () => {
  let work: string;
  let tools: string;
  let dest: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'sidekick-publish-'));
    tools = path.join(work, 'tools');
    dest = path.join(work, 'dest');
    await mkdir(tools);
    await mkdir(dest);
    for (const applet of APPLETS) await symlink(BUSYBOX!, path.join(tools, applet));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function start(): Promise<{ helper: Helper; stage: string }> {
    // The toolbox is found on PATH under /proc/<pid>/root, as in the chroot view.
    const child = spawn(BUSYBOX!, ['sh'], { env: { PATH: `/nonexistent:/proc/self/root${tools}` } });
    const helper = new Helper(child);
    helper.send(cpPublishScript({ directory: dest, stagingName: '.sidekick-cp-test' }));
    expect(await helper.line()).toBe('ready');
    return { helper, stage: path.join(dest, '.sidekick-cp-test') };
  }

  it('moves the upload into place: new names, a replaced file, a merged directory, a symlink replaced not followed', async () => {
    const outside = path.join(work, 'outside');
    await mkdir(outside);
    await mkdir(path.join(dest, 'conf'));
    await writeFile(path.join(dest, 'conf', 'old'), 'stays');
    await writeFile(path.join(dest, 'file'), 'old');
    await symlink(outside, path.join(dest, 'link'));
    const { helper, stage } = await start();
    expect((await stat(stage)).mode & 0o777).toBe(0o700);
    await mkdir(path.join(stage, 'conf'), { mode: 0o750 });
    await writeFile(path.join(stage, 'conf', 'new'), 'added');
    await utimes(path.join(stage, 'conf'), new Date('2020-01-01T00:00:00Z'), new Date('2020-01-01T00:00:00Z'));
    await writeFile(path.join(stage, 'file'), 'new');
    await writeFile(path.join(stage, 'link'), 'a file, not through the link');
    await writeFile(path.join(stage, 'name with spaces\nand a newline'), 'odd');
    helper.send('publish\n');
    expect(await helper.line()).toBe('published');
    expect(await helper.done).toBe(0);
    expect((await readdir(dest)).sort()).toEqual(['conf', 'file', 'link', 'name with spaces\nand a newline']);
    expect((await readdir(path.join(dest, 'conf'))).sort()).toEqual(['new', 'old']);
    expect((await stat(path.join(dest, 'conf'))).mode & 0o777).toBe(0o750);
    expect((await stat(path.join(dest, 'conf'))).mtime.toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(await readFile(path.join(dest, 'file'), 'utf8')).toBe('new');
    expect((await lstat(path.join(dest, 'link'))).isFile()).toBe(true);
    expect(await readdir(outside)).toEqual([]);
  });

  it('refuses before moving anything when a file would replace a directory, and gives the directory its mtime back', async () => {
    await mkdir(path.join(dest, 'dir'));
    const past = new Date('2021-05-05T05:05:05Z');
    await utimes(dest, past, past);
    const { helper, stage } = await start();
    await writeFile(path.join(stage, 'a'), 'would be first');
    await writeFile(path.join(stage, 'dir'), 'file over a directory');
    helper.send('publish\n');
    expect(await helper.line()).toMatch(/^conflict a non-directory cannot replace the directory .*\/dir$/);
    expect(await helper.done).toBe(3);
    expect(await readdir(dest)).toEqual(['dir']);
    expect((await stat(dest)).mtime.toISOString()).toBe(past.toISOString());
  });

  it('refuses to replace a FIFO, and a directory over a symlink', async () => {
    const fifo = spawn(BUSYBOX!, ['mkfifo', path.join(dest, 'pipe')]);
    await new Promise((resolve) => fifo.once('exit', resolve));
    await symlink('/', path.join(dest, 'slink'));
    for (const [name, isDirectory, reason] of [
      ['pipe', false, /device, FIFO or socket/],
      ['slink', true, /cannot replace the symlink/],
    ] as const) {
      const { helper, stage } = await start();
      if (isDirectory) await mkdir(path.join(stage, name));
      else await writeFile(path.join(stage, name), 'x');
      helper.send('publish\n');
      expect(await helper.line()).toMatch(reason);
      await helper.done;
      expect((await readdir(dest)).sort()).toEqual(['pipe', 'slink']);
    }
    expect(await readlink(path.join(dest, 'slink'))).toBe('/');
  });

  it('removes the upload on abort, and when its input ends without a word (the CLI was killed)', async () => {
    for (const ending of ['abort', 'eof'] as const) {
      const { helper, stage } = await start();
      await writeFile(path.join(stage, 'partial'), 'half');
      if (ending === 'abort') helper.send('abort\n');
      helper.end();
      expect(await helper.done).toBe(0);
      expect(await readdir(dest)).toEqual([]);
    }
  });
});
