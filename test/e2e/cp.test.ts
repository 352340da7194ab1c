import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { run } from '../fixtures/docker-cli.js';
import { expectUntouched, removeTarget, runCli, snapshotTarget, startTarget, waitExited, type TestTarget } from './harness.js';
import { expectNoSidekicksFor } from './own-sidekicks.js';

interface Node {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  mode: number;
  mtime: number;
  content?: string;
  link?: string;
}

/** Everything about a tree that a copy must keep: types, modes, mtimes (whole seconds), bytes, link targets. */
async function describeTree(root: string, withDirTimes = true): Promise<Node[]> {
  const nodes: Node[] = [];
  const walk = async (relative: string): Promise<void> => {
    const full = path.join(root, relative);
    const stat = await lstat(full);
    const node: Node = {
      path: relative || '.',
      type: stat.isSymbolicLink() ? 'symlink' : stat.isDirectory() ? 'dir' : 'file',
      mode: stat.mode & 0o7777,
      mtime: withDirTimes || !stat.isDirectory() ? Math.floor(stat.mtimeMs / 1000) : 0,
    };
    if (stat.isSymbolicLink()) {
      node.link = await readlink(full);
      delete (node as Partial<Node>).mode;
    } else if (stat.isFile()) node.content = (await readFile(full)).toString('base64');
    nodes.push(node);
    if (stat.isDirectory()) for (const name of (await readdir(full)).sort()) await walk(path.join(relative, name));
  };
  await walk('');
  return nodes;
}

describe('sidekick cp and ls', () => {
  let target: TestTarget | undefined;
  let work: string;
  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'sidekick-cp-e2e-'));
  });
  afterEach(async () => {
    if (target) await removeTarget(target.id);
    target = undefined;
    await rm(work, { recursive: true, force: true });
  });

  it('round-trips a directory with symlinks, an executable and a name with spaces, byte-exact', async () => {
    const { scratchServer } = inject('fixtures');
    target = await startTarget(scratchServer);
    const source = path.join(work, 'src');
    await mkdir(path.join(source, 'sub dir'), { recursive: true });
    await writeFile(path.join(source, 'a file with spaces.txt'), 'hello, world\n');
    await writeFile(path.join(source, 'run.sh'), '#!/bin/sh\necho hi\n');
    await chmod(path.join(source, 'run.sh'), 0o755);
    await writeFile(path.join(source, 'sub dir', 'blob.bin'), randomBytes(300_000));
    await chmod(path.join(source, 'sub dir', 'blob.bin'), 0o640);
    await symlink('run.sh', path.join(source, 'link'));
    // Links that point out of the copy must come back as links, never be followed.
    await symlink('/etc/passwd', path.join(source, 'absolute-link'));
    await symlink('../../../../outside', path.join(source, 'sub dir', 'up-link'));
    const past = new Date('2020-01-02T03:04:05Z');
    for (const name of ['a file with spaces.txt', 'run.sh', 'sub dir/blob.bin', 'sub dir', '.']) await utimes(path.join(source, name), past, past);

    const up = await runCli(['cp', source, `${target.name}:/data`]);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);

    const listing = await runCli(['ls', `${target.name}:/data`]);
    expect(listing.code).toBe(0);
    const text = listing.stdout.toString();
    expect(text).toMatch(/^lrwxrwxrwx .* link -> run\.sh$/m);
    expect(text).toMatch(/^lrwxrwxrwx .* absolute-link -> \/etc\/passwd$/m);
    expect(text).toMatch(/^-rwxr-xr-x .* 18 +2020-01-02 03:04 +run\.sh$/m);
    expect(text).toMatch(/^-rw-r--r-- .* a file with spaces\.txt$/m);
    expect(text).toMatch(/^drwxr-xr-x .* sub dir$/m);

    // From here on the target must not change: reading is all that happens.
    const before = await snapshotTarget(target.id);
    const copy = path.join(work, 'copy');
    const down = await runCli(['cp', `${target.name}:/data`, copy]);
    expect(down.stderr).toBe('');
    expect(down.code).toBe(0);
    expect(await describeTree(copy)).toEqual(await describeTree(source));
    expect(await readdir(work)).toEqual(['copy', 'src']);

    // Into an existing directory the copy keeps its name.
    const into = path.join(work, 'into');
    await mkdir(into);
    expect((await runCli(['cp', `${target.name}:/data/run.sh`, into])).code).toBe(0);
    expect(await readFile(path.join(into, 'run.sh'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
    expect((await lstat(path.join(into, 'run.sh'))).mode & 0o777).toBe(0o755);

    // "-": a tar on stdout, which the system tar reads back identically.
    const tar = await runCli(['cp', `${target.name}:/data`, '-']);
    expect(tar.code).toBe(0);
    const untarred = path.join(work, 'untarred');
    await mkdir(untarred);
    await run('tar', ['-xf', '-', '-C', untarred], { input: tar.stdout });
    expect(await describeTree(path.join(untarred, 'data'))).toEqual(await describeTree(source));
    await expectUntouched(before, target.id);

    // "DIR/." uploads the contents.
    const parts = path.join(work, 'parts');
    await mkdir(parts);
    await writeFile(path.join(parts, 'part one'), '1');
    const contents = await runCli(['cp', `${parts}/.`, `${target.name}:/data/sub dir`]);
    expect({ code: contents.code, stderr: contents.stderr }).toEqual({ code: 0, stderr: '' });
    expect((await runCli(['ls', `${target.name}:/data/sub dir`])).stdout.toString()).toMatch(/ part one$/m);

    // And a tar on stdin goes into an existing directory (a tar without links that leave it: the engine refuses those).
    const viaTar = path.join(work, 'via-tar');
    await mkdir(viaTar);
    await writeFile(path.join(viaTar, 'from stdin.txt'), 'through stdin\n');
    const packed = await run('tar', ['-cf', '-', '-C', work, 'via-tar']);
    const stdinUp = await runCli(['cp', '-', `${target.name}:/data/sub dir`], { input: packed.stdout });
    expect({ code: stdinUp.code, stderr: stdinUp.stderr }).toEqual({ code: 0, stderr: '' });
    const back = await runCli(['cp', `${target.name}:/data/sub dir/via-tar/from stdin.txt`, '-']);
    expect(back.stdout.length).toBeGreaterThan(512);
    expect((await runCli(['ls', `${target.name}:/data/sub dir/via-tar`])).stdout.toString()).toMatch(/from stdin\.txt$/m);
    await expectNoSidekicksFor(target.id);
  });

  it("reads the distroless target's files without touching it", async () => {
    const { distroless } = inject('fixtures');
    target = await startTarget(distroless);
    const before = await snapshotTarget(target.id);
    const result = await runCli(['cp', `${target.name}:/etc/passwd`, path.join(work, 'passwd')]);
    expect(result.code).toBe(0);
    expect(await readFile(path.join(work, 'passwd'), 'utf8')).toContain('nonroot:x:65532:65532:');
    // The root, and a directory's contents ("/."), go into DEST itself, as with docker cp.
    expect((await runCli(['cp', `${target.name}:/`, path.join(work, 'root')])).code).toBe(0);
    expect((await lstat(path.join(work, 'root', 'app', 'server'))).mode & 0o777).toBe(0o755);
    expect((await runCli(['cp', `${target.name}:/etc/.`, path.join(work, 'root')])).code).toBe(0);
    expect(await readFile(path.join(work, 'root', 'group'), 'utf8')).toContain('nonroot:x:65532:');
    const listing = (await runCli(['ls', `${target.name}:/home`])).stdout.toString();
    expect(listing).toMatch(/^drwx------\s+(\d+\s+)?(65532|nonroot)\s+(65532|nonroot) .* nonroot$/m);
    await expectUntouched(before, target.id);
    await expectNoSidekicksFor(target.id);
  });

  it('copies out of a container that has exited', async () => {
    const { exitsAtOnce } = inject('fixtures');
    target = await startTarget(exitsAtOnce);
    await waitExited(target.id);
    const before = await snapshotTarget(target.id);
    expect((await runCli(['cp', `${target.name}:/exits-at-once`, path.join(work, 'bin')])).code).toBe(0);
    expect((await lstat(path.join(work, 'bin'))).mode & 0o777).toBe(0o755);
    await expectUntouched(before, target.id);
  });

  it('fails clearly and changes nothing on a read-only target, a missing path or bad arguments', async () => {
    const { scratchServer } = inject('fixtures');
    target = await startTarget(scratchServer, { readOnly: true });
    const before = await snapshotTarget(target.id);
    await writeFile(path.join(work, 'f'), 'x');

    const readOnly = await runCli(['cp', path.join(work, 'f'), `${target.name}:/f`]);
    expect(readOnly.code).toBe(125);
    expect(readOnly.stderr).toMatch(/read-only/);
    const missing = await runCli(['cp', `${target.name}:/no/such`, path.join(work, 'x')]);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toMatch(/^sidekick: .*:\/no\/such: no such file or directory\.\n/);
    const neither = await runCli(['cp', path.join(work, 'f'), path.join(work, 'g')]);
    expect(neither.code).toBe(125);
    expect(neither.stderr).toMatch(/is TARGET:PATH/);
    const lsMissing = await runCli(['ls', `${target.name}:/nothing`]);
    expect(lsMissing.code).toBe(125);
    expect(await readdir(work)).toEqual(['f']);
    await expectUntouched(before, target.id);
  });
});
