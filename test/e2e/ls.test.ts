/**
 * `sidekick ls` (issue 11): a running target's directory costs one directory's metadata,
 * whatever lies below it, and its symlinks are followed inside the target's root only. The
 * witness that nothing big was read is a relay between the CLI and the engine counting the
 * bytes the engine sent: the archive API would have streamed the whole bind mount.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { craftedTar } from '../fixtures/hostile-fixtures.js';
import { docker, lines, run } from '../fixtures/docker-cli.js';
import { removeTarget, runCli, startTarget, type TestTarget } from './harness.js';
import { expectNoSidekicks } from './sidekick-leftovers.js';

/** A TCP relay to the local engine that counts what the engine sends back. */
function countingRelay(): Promise<{ server: Server; url: string; engineBytes: () => number; reset: () => void }> {
  let bytes = 0;
  const server = createServer({ allowHalfOpen: true }, (client) => {
    const engine = connect('/var/run/docker.sock');
    engine.on('data', (chunk: Buffer) => (bytes += chunk.length));
    client.pipe(engine).pipe(client);
    client.on('error', () => engine.destroy());
    engine.on('error', () => client.destroy());
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({ server, url: `tcp://127.0.0.1:${port}`, engineBytes: () => bytes, reset: () => (bytes = 0) });
    });
  });
}

const BIG_BYTES = 300 * 1024 * 1024;

describe('sidekick ls of a running target', () => {
  let relay: Awaited<ReturnType<typeof countingRelay>>;
  let bigDirectory: string;
  let target: TestTarget;

  beforeAll(async () => {
    relay = await countingRelay();
    bigDirectory = await mkdtemp(path.join(tmpdir(), 'sidekick-ls-big-'));
    // Sparse: costs no disk, but the archive API streams every byte of it.
    await run('truncate', ['-s', String(BIG_BYTES), path.join(bigDirectory, 'blob')]);
    target = await startTarget(inject('fixtures').distroless, { dockerArgs: ['-v', `${bigDirectory}:/big:ro`] });
    await run('docker', ['cp', '-', `${target.id}:/`], {
      input: craftedTar([
        { name: 'data/', type: 'directory' },
        { name: 'data/marker-dir/', type: 'directory' },
        { name: 'data/marker-dir/only-in-the-target', type: 'file', content: 'x' },
        { name: 'data/abs', type: 'symlink', linkname: '/data/marker-dir' },
        { name: 'data/rel', type: 'symlink', linkname: 'marker-dir' },
        { name: 'data/up', type: 'symlink', linkname: '../../../../..' },
        { name: 'data/loop', type: 'symlink', linkname: 'loop' },
        { name: 'data/odd\nname', type: 'file', content: 'odd' },
      ]),
    });
  });

  afterAll(async () => {
    await new Promise((resolve) => relay.server.close(resolve));
    await removeTarget(target.id);
    await rm(bigDirectory, { recursive: true, force: true });
  });

  it('lists / without reading a 300 MiB bind mount under it', async () => {
    relay.reset();
    const result = await runCli(['-H', relay.url, 'ls', `${target.name}:/`]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toMatch(/^d\S+ .* big$/m);
    // The whole exchange with the engine (sidekick start, output, removal) is a few KiB; the archive would be the 300 MiB.
    expect(relay.engineBytes()).toBeLessThan(1024 * 1024);
    const inside = await runCli(['-H', relay.url, 'ls', '-h', `${target.name}:/big`]);
    expect(inside.stdout.toString()).toMatch(/^-rw-r--r-- +1 +\S+ +\S+ +300M +\S+ \S+ +blob$/m);
    expect(relay.engineBytes()).toBeLessThan(2 * 1024 * 1024);
    await expectNoSidekicks(target.id);
  });

  it("follows the target's symlinks inside its root only, and shows a link named without '/' as itself", async () => {
    const absolute = await runCli(['ls', `${target.name}:/data/abs/`]);
    expect(absolute.stdout.toString()).toMatch(/ only-in-the-target$/m);
    const relative = await runCli(['ls', `${target.name}:/data/rel/`]);
    expect(relative.stdout.toString()).toMatch(/ only-in-the-target$/m);
    // ".." past the root stays at the target's root, as it does for the target itself.
    const up = await runCli(['ls', `${target.name}:/data/up/`]);
    expect(up.stdout.toString()).toMatch(/ data$/m);
    expect(up.stdout.toString()).toMatch(/ big$/m);
    const itself = await runCli(['ls', `${target.name}:/data/abs`]);
    expect(itself.stdout.toString()).toMatch(/^lrwxrwxrwx .* abs -> \/data\/marker-dir$/m);
    const loop = await runCli(['ls', `${target.name}:/data/loop/`]);
    expect(loop.code).toBe(125);
    expect(loop.stderr).toMatch(/too many levels of symbolic links/);
    const missing = await runCli(['ls', `${target.name}:/data/nothing`]);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toMatch(/no such file or directory/);
    await expectNoSidekicks(target.id);
  });

  it('lists /proc as the processes of the target, recursion and JSON with odd names', async () => {
    const proc = await runCli(['ls', '--json', `${target.name}:/proc`]);
    const listing = JSON.parse(proc.stdout.toString()) as { source: string; entries: Array<{ name: string; type: string }> };
    expect(listing.source).toBe('sidekick');
    const pids = listing.entries.filter((entry) => /^\d+$/.test(entry.name)).map((entry) => entry.name);
    const top = lines(await docker(['top', target.id, '-o', 'pid'])).slice(1);
    // The target's processes, not the sidekick's that listed them.
    expect(pids.length).toBe(top.length);
    expect(pids).toContain('1');

    // Owners named from the target's own /etc/passwd and /etc/group, not the host's.
    const home = (await runCli(['ls', `${target.name}:/home`])).stdout.toString();
    expect(home).toMatch(/^drwx------ +\d+ +nonroot +nonroot .* nonroot$/m);

    const recursive = await runCli(['ls', '-R', '--json', `${target.name}:/data`]);
    const tree = JSON.parse(recursive.stdout.toString()) as { directories: Array<{ path: string; entries: Array<{ name: string; type: string; linkTarget: string | null }> }> };
    expect(tree.directories.map((directory) => directory.path)).toEqual(['/data', '/data/marker-dir']);
    const names = tree.directories[0]!.entries.map((entry) => entry.name);
    expect(names).toEqual(['.', 'abs', 'loop', 'marker-dir', 'odd\nname', 'rel', 'up']);
    expect(tree.directories[0]!.entries.find((entry) => entry.name === 'up')?.linkTarget).toBe('../../../../..');
    expect(tree.directories[1]!.entries.map((entry) => entry.name)).toEqual(['.', 'only-in-the-target']);

    const text = (await runCli(['ls', '-R', `${target.name}:/data`])).stdout.toString();
    expect(text).toMatch(/^\/data:$/m);
    expect(text).toMatch(/^\/data\/marker-dir:$/m);
    expect(text).toMatch(/ odd\\nname$/m);
    await expectNoSidekicks(target.id);
  });
});

describe('sidekick ls of a stopped target', () => {
  it('still lists it through the archive, and says when that streams a large subtree', async () => {
    const bigDirectory = await mkdtemp(path.join(tmpdir(), 'sidekick-ls-big-'));
    await run('truncate', ['-s', String(BIG_BYTES), path.join(bigDirectory, 'blob')]);
    const target = await startTarget(inject('fixtures').distroless, { dockerArgs: ['-v', `${bigDirectory}:/big:ro`] });
    try {
      await docker(['stop', '-t', '1', target.id]);
      const result = await runCli(['ls', '-h', `${target.name}:/big`]);
      expect(result.code).toBe(0);
      expect(result.stdout.toString()).toMatch(/ 300M +\S+ \S+ +blob$/m);
      expect(result.stderr).toMatch(/is not running: its listing streams everything under \/big through the engine/);
    } finally {
      await removeTarget(target.id);
      await rm(bigDirectory, { recursive: true, force: true });
    }
  });
});
