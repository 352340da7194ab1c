import { execFile, spawn } from 'node:child_process';
import { chmod, copyFile, lstat, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { pack } from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHIVE_SETUP_FAILED, keeperArgv, OPERATIONS_SCRIPT, operationArgv, splitArchivePath, UNPACKER_NAME } from './archive-scripts.js';
import { parseArchiveStat, splitStatRecords } from './archive-stat.js';

const run = promisify(execFile);
const BUSYBOX = '/bin/busybox';
const UNPACKER = fileURLToPath(new URL('../../../dist/sidekick-unpack', import.meta.url));

/** The operations program in busybox sh on this host, as it runs in the target's root (there `/` is the target's). */
function operate(args: string[], input?: Buffer, cwd?: string): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(BUSYBOX, ['sh', '-c', OPERATIONS_SCRIPT, 'sidekick-archive', ...args], { stdio: ['pipe', 'pipe', 'pipe'], ...(cwd !== undefined ? { cwd } : {}) });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err }));
    // A program that exits before reading all of its input is a case here, not a failure of the test.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

describe('splitArchivePath', () => {
  it('splits as the Docker engine does: the last component, or with "/" or "/." the contents', () => {
    expect(splitArchivePath('/etc/passwd')).toEqual({ directory: '/etc', base: 'passwd' });
    expect(splitArchivePath('/server')).toEqual({ directory: '/', base: 'server' });
    expect(splitArchivePath('/etc/')).toEqual({ directory: '/etc', base: '.' });
    expect(splitArchivePath('/etc/.')).toEqual({ directory: '/etc', base: '.' });
    expect(splitArchivePath('/.')).toEqual({ directory: '/', base: '.' });
    expect(splitArchivePath('/')).toEqual({ directory: '/', base: '.' });
    expect(splitArchivePath('relative/x')).toEqual({ directory: '/relative', base: 'x' });
    expect(splitArchivePath('/d/-rf')).toEqual({ directory: '/d', base: './-rf' });
  });
});

describe('the archive programs', () => {
  const ref = { targetId: "abc'def", sharesPid: true };

  it('are sh -c programs busybox sh parses, the target ID quoted', async () => {
    for (const argv of [keeperArgv(ref), operationArgv(ref, { op: 'stat', paths: ['/x'] }), operationArgv(ref, { op: 'get', path: '/x', directory: '/', base: 'x' }), operationArgv(ref, { op: 'put', directory: '/d' })]) {
      expect(argv.slice(0, 2)).toEqual(['sh', '-c']);
      await run(BUSYBOX, ['sh', '-n', '-c', argv[2]!]);
      expect(argv[2]).toContain("SIDEKICK_TARGET_ID='abc'\\''def'");
      // The target's root is entered keeping the toolbox's /bin as working directory, and left at once.
      expect(argv[2]).toContain('exec ./busybox nsenter -t "$tp" -r ./busybox sh -c');
    }
    expect(operationArgv(ref, { op: 'get', path: '/a b', directory: '/', base: 'a b' }).slice(3)).toEqual(['sidekick-archive', 'get', '/a b', '/', 'a b']);
    await run(BUSYBOX, ['sh', '-n', '-c', OPERATIONS_SCRIPT]);
  });

  describe('operations, on this host\'s busybox', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sidekick-archive-ops-'));
      await mkdir(join(dir, 'd', 'sub'), { recursive: true });
      await writeFile(join(dir, 'd', 'f'), 'twelve bytes');
      await symlink('d/sub', join(dir, 'link'));
      await symlink('/nowhere/at/all', join(dir, 'dangling'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('stat: a file, a link (resolved and its own text), nothing', async () => {
      const file = await operate(['stat', join(dir, 'd', 'f')]);
      expect(parseArchiveStat(join(dir, 'd', 'f'), file.stdout)).toMatchObject({ kind: 'file', size: 12, name: 'f' });
      const link = await operate(['stat', join(dir, 'link')]);
      expect(parseArchiveStat(join(dir, 'link'), link.stdout)).toMatchObject({ kind: 'symlink', linkTarget: join(dir, 'd', 'sub') });
      expect(parseArchiveStat(`${join(dir, 'link')}/.`, (await operate(['stat', `${join(dir, 'link')}/.`])).stdout)).toMatchObject({ kind: 'dir' });
      const dangling = await operate(['stat', join(dir, 'dangling')]);
      expect(parseArchiveStat(join(dir, 'dangling'), dangling.stdout)).toMatchObject({ kind: 'symlink', linkTarget: '/nowhere/at/all' });
      expect((await operate(['stat', join(dir, 'missing')])).stdout.toString()).toBe('absent\n');      // Several paths: one record each, in order, a link's texts included.
      const many = await operate(['stat', join(dir, 'link'), join(dir, 'missing'), join(dir, 'd', 'f'), join(dir, 'dangling')]);
      const records = splitStatRecords(many.stdout, 4);
      expect(records.map((record, i) => parseArchiveStat(['link', 'missing', 'f', 'dangling'][i]!, record)?.kind)).toEqual(['symlink', undefined, 'file', 'symlink']);
      expect(parseArchiveStat(join(dir, 'link'), records[0]!)?.linkTarget).toBe(join(dir, 'd', 'sub'));
    });

    it('get then put: a directory round-trips; a missing path or directory is status 2 with the engine\'s words', async () => {
      const tar = await operate(['get', join(dir, 'd'), dir, 'd']);
      expect(tar.code).toBe(0);
      await mkdir(join(dir, 'copy'));
      const put = await operate(['put', join(dir, 'copy')], tar.stdout);
      expect({ code: put.code, stderr: put.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await readFile(join(dir, 'copy', 'd', 'f'), 'utf8')).toBe('twelve bytes');
      expect((await lstat(join(dir, 'copy', 'd', 'sub'))).isDirectory()).toBe(true);
      // A link is archived as a link, never followed.
      const asLink = await operate(['get', join(dir, 'link'), dir, 'link']);
      await mkdir(join(dir, 'copy2'));
      await operate(['put', join(dir, 'copy2')], asLink.stdout);
      expect((await lstat(join(dir, 'copy2', 'link'))).isSymbolicLink()).toBe(true);
      expect(await operate(['get', join(dir, 'missing'), dir, 'missing'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^Could not find the file /) });
      expect(await operate(['put', join(dir, 'missing')], Buffer.alloc(1024))).toMatchObject({ code: 2, stderr: expect.stringMatching(/^Could not find the directory /) });
    });

    it('unpack: the unpacker in the working directory (the keeper\'s /bin) writes the tar; without one there, the setup status', async () => {
      const keeperBin = join(dir, 'keeper-bin');
      await mkdir(keeperBin);
      await mkdir(join(dir, 'unpacked'));
      expect(await operate(['unpack', join(dir, 'unpacked')], await tarOfFiles({ f: 'x' }), keeperBin)).toMatchObject({ code: ARCHIVE_SETUP_FAILED, stderr: expect.stringContaining('has no unpacker') });
      await copyFile(UNPACKER, join(keeperBin, UNPACKER_NAME));
      await chmod(join(keeperBin, UNPACKER_NAME), 0o700);
      const put = await operate(['unpack', join(dir, 'unpacked')], await tarOfFiles({ f: 'unpacked' }), keeperBin);
      expect({ code: put.code, stderr: put.stderr }).toEqual({ code: 0, stderr: '' });
      expect(await readFile(join(dir, 'unpacked', 'f'), 'utf8')).toBe('unpacked');
    });

    it('script: a program with its arguments, the applets as commands, and its input up to the end line (an exec\'s stdin may never close)', async () => {
      const doomed = join(dir, 'doomed');
      await mkdir(join(doomed, 'inner'), { recursive: true });
      const ran = await operate(['script', 'THE-END', 'rm -rf -- "$1"; [ -e "$1" ] || echo gone; while IFS= read -r l; do echo "read $l"; done | tr a-z A-Z', doomed], Buffer.from('one\ntwo\nTHE-END\nnot input\n'));
      expect({ code: ran.code, stdout: ran.stdout.toString(), stderr: ran.stderr }).toEqual({ code: 0, stdout: 'gone\nREAD ONE\nREAD TWO\n', stderr: '' });
    });

    it('pinned: unpacks in a directory reached without a link, and refuses a directory entry over a link', async () => {
      const base = join(dir, 'pinned');
      await mkdir(join(base, 'real'), { recursive: true });
      await symlink('real', join(base, 'swapped'));
      await writeFile(join(base, 'plain'), 'a file');
      const put = await operate(['pinned', base, 'real', '', ''], await tarOfFiles({ f: 'written' }));
      expect({ code: put.code, stderr: put.stderr, stdout: put.stdout.toString() }).toEqual({ code: 0, stderr: '', stdout: `base ${base}\n` });
      expect(await readFile(join(base, 'real', 'f'), 'utf8')).toBe('written');
      // The directory to unpack in is reached through a link: refused, nothing written.
      const through = await operate(['pinned', base, 'swapped', '', ''], await tarOfFiles({ g: 'x' }));
      expect(through).toMatchObject({ code: 3, stderr: expect.stringContaining(`${base}/swapped is not a directory`) });
      await expect(lstat(join(base, 'real', 'g'))).rejects.toThrow();
      // A directory entry whose name is a link, or a file, now.
      expect(await operate(['pinned', base, '', 'swapped', ''], Buffer.alloc(1024))).toMatchObject({ code: 3, stderr: expect.stringContaining('cannot overwrite non-directory') });
      expect(await operate(['pinned', base, '', 'plain', ''], Buffer.alloc(1024))).toMatchObject({ code: 3, stderr: expect.stringContaining('cannot overwrite non-directory') });
      // A base that no longer leads where it did.
      expect(await operate(['pinned', join(base, 'swapped'), '', '', join(base, 'elsewhere')], Buffer.alloc(1024))).toMatchObject({ code: 3, stderr: expect.stringContaining('stays put') });
      // A base through a link is followed (as the Docker engine does) and said as it is.
      expect((await operate(['pinned', join(base, 'swapped'), '', '', ''], Buffer.alloc(1024))).stdout.toString()).toBe(`base ${join(base, 'real')}\n`);
    });
  });
});

/** A tar of plain files, as bytes. */
async function tarOfFiles(files: Record<string, string>): Promise<Buffer> {
  const archive = pack();
  for (const [name, content] of Object.entries(files)) archive.entry({ name, mode: 0o644 }, content);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}
