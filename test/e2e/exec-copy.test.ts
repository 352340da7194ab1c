/**
 * `sidekick exec --copy TARGET` and `sidekick exec IMAGE` against the real engine: the copy has
 * the original's files, environment, user and volumes, runs the toolbox instead of the
 * original entrypoint, and leaves neither a trace on the original nor anything of its own.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { docker, lines, run } from '../fixtures/docker-cli.js';
import {
  CLI_PATH,
  removeTarget,
  runCli,
  snapshotTarget,
  startTarget,
  waitExited,
  waitForHttp,
  type TargetOptions,
  type TargetSnapshot,
  type TestTarget,
} from './harness.js';

/** Everything about the original that a copy must not change. */
interface OriginalState {
  target: TargetSnapshot;
  logs: string;
  finishedAt: string;
}

async function originalState(id: string): Promise<OriginalState> {
  const [target, logs, finishedAt] = await Promise.all([
    snapshotTarget(id),
    run('docker', ['logs', '--timestamps', id]).then((r) => `${r.stdout.toString()}\n--stderr--\n${r.stderr}`),
    docker(['inspect', '-f', '{{.State.FinishedAt}} {{.State.ExitCode}} {{.State.StartedAt}}', id]),
  ]);
  return { target, logs, finishedAt };
}

/** Copy containers and snapshot images made for one original; after a session there must be none. */
async function copiesOf(targetId: string): Promise<string[]> {
  const filter = ['--filter', `label=io.sidekick.target=${targetId}`];
  const [containers, images] = await Promise.all([
    docker(['ps', '-aq', ...filter]),
    docker(['image', 'ls', '-aq', ...filter, '--filter', 'label=io.sidekick.kind=copy']),
  ]);
  return [...lines(containers).map((id) => `container ${id}`), ...lines(images).map((id) => `image ${id}`)];
}

/** Copy containers made from an image (exec IMAGE has no target container to label). */
async function copiesOfImage(image: string): Promise<string[]> {
  return lines(await docker(['ps', '-aq', '--filter', 'label=io.sidekick.kind=copy', '--filter', `ancestor=${image}`]));
}

async function eventually(check: () => Promise<string[]>, waitMs = 10_000): Promise<string[]> {
  const deadline = Date.now() + waitMs;
  let left = await check();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = await check();
  }
  return left;
}

describe('sidekick exec --copy and exec IMAGE', () => {
  const watched: Array<{ target: TestTarget; before: OriginalState }> = [];
  const cleanups: Array<() => Promise<unknown>> = [];

  async function original(image: string, options: TargetOptions & { exited?: boolean } = {}): Promise<TestTarget> {
    const started = await startTarget(image, options);
    if (options.exited) await waitExited(started.id);
    else if (started.ip) await waitForHttp(started.ip, 8080);
    watched.push({ target: started, before: await originalState(started.id) });
    return started;
  }

  afterEach(async () => {
    try {
      for (const { target, before } of watched) {
        expect(await originalState(target.id), 'the original changed').toEqual(before);
        expect(await eventually(() => copiesOf(target.id)), 'copies left for the original').toEqual([]);
      }
      for (const image of Object.values(inject('fixtures'))) {
        expect(await eventually(() => copiesOfImage(image)), `copies left of ${image}`).toEqual([]);
      }
    } finally {
      for (const { target } of watched.splice(0)) await removeTarget(target.id);
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    }
  });

  describe('a container that exited', () => {
    it('shows its files, with the toolbox only in the copy', async () => {
      const t = await original(inject('fixtures').exitsAtOnce, { exited: true });
      const result = await runCli(['exec', '--copy', t.name, '--', 'ls', '-a', '/']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const entries = result.stdout.toString().trim().split(/\s+/);
      expect(entries).toContain('exits-at-once');
      expect(entries).toContain('.sidekick');
    });

    it('runs the original program with run-entrypoint and returns its status', async () => {
      const t = await original(inject('fixtures').exitsAtOnce, { exited: true });
      const result = await runCli(['exec', '--copy', t.name, '--', 'run-entrypoint']);
      expect(result.stdout.toString()).toBe('exits-at-once: starting and exiting with status 3\n');
      expect(result.code).toBe(3);
      const own = await runCli(['exec', '--copy', t.name, '--', 'sh', '-c', 'exit 7']);
      expect(own.code).toBe(7);
    });

    it("has the original's environment; -e overrides it", async () => {
      const t = await original(inject('fixtures').exitsAtOnce, { exited: true, env: { FOO: 'bar baz', KEEP: 'kept' } });
      const result = await runCli(['exec', '--copy', '-e', 'KEEP=changed', t.name, '--', 'sh', '-c', 'echo "$FOO|$KEEP"; env | grep -c ^KEEP=']);
      expect(result.stdout.toString()).toBe('bar baz|changed\n1\n');
    });

    it("mounts the original's volumes read-only, writable with --rw-volumes", async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sidekick-copy-vol-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      await writeFile(join(dir, 'hello'), 'from the volume\n');
      const t = await original(inject('fixtures').exitsAtOnce, { exited: true, dockerArgs: ['-v', `${dir}:/data`, '-v', '/anon'] });
      const result = await runCli(['exec', '--copy', t.name, '--', 'sh', '-c', 'cat /data/hello; touch /data/new || echo refused; grep -E " /(data|anon) " /proc/mounts']);
      const out = result.stdout.toString();
      expect(out).toMatch(/^from the volume\nrefused\n/);
      expect(out).toMatch(/ \/data \S+ ro[,\s]/);
      expect(out).toMatch(/ \/anon \S+ ro[,\s]/);
      expect(result.stderr).toMatch(/Read-only file system/);
      const rw = await runCli(['exec', '--copy', '--rw-volumes', t.name, '--', 'sh', '-c', 'echo written > /data/new']);
      expect(rw.code).toBe(0);
      expect(await readFile(join(dir, 'new'), 'utf8')).toBe('written\n');
    });
  });

  describe('a crash-looping container', () => {
    it('is debugged through a copy while the engine keeps restarting it', async () => {
      const t = await startTarget(inject('fixtures').exitsAtOnce, { dockerArgs: ['--restart', 'always'] });
      cleanups.push(() => removeTarget(t.id));
      // Its state, restart count and logs change on their own, so they are not compared here.
      const deadline = Date.now() + 20_000;
      while (Number((await docker(['inspect', '-f', '{{.RestartCount}}', t.id])).trim()) < 1) {
        if (Date.now() > deadline) throw new Error('the target did not restart');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const result = await runCli(['exec', '--copy', t.name, '--', 'sh', '-c', 'ls /; run-entrypoint']);
      expect(result.stdout.toString()).toMatch(/exits-at-once\n[^]*exits-at-once: starting and exiting with status 3\n$/);
      expect(result.code).toBe(3);
      expect(await eventually(() => copiesOf(t.id))).toEqual([]);
    });
  });

  describe('networks', () => {
    async function network(): Promise<{ name: string; prefix: string }> {
      const name = `sidekick-test-net-${randomBytes(4).toString('hex')}`;
      await docker(['network', 'create', '--label', 'io.sidekick.test=1', name]);
      cleanups.push(() => docker(['network', 'rm', name]));
      const subnet = (await docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', name])).trim();
      return { name, prefix: subnet.split('.').slice(0, 3).join('.') + '.' };
    }

    it("joins the original's networks", async () => {
      const [a, b] = [await network(), await network()];
      const t = await startTarget(inject('fixtures').exitsAtOnce, { dockerArgs: ['--network', a.name] });
      await waitExited(t.id);
      await docker(['network', 'connect', b.name, t.id]);
      watched.push({ target: t, before: await originalState(t.id) });
      const result = await runCli(['exec', '--copy', t.name, '--', 'ip', '-o', '-4', 'addr']);
      const out = result.stdout.toString();
      expect(out).toContain(` inet ${a.prefix}`);
      expect(out).toContain(` inet ${b.prefix}`);
    });

    it("shares a running container's network as the original did, and has none when that container is gone", async () => {
      const provider = await original(inject('fixtures').scratchServer);
      const t = await startTarget(inject('fixtures').exitsAtOnce, { dockerArgs: ['--network', `container:${provider.id}`] });
      cleanups.push(() => removeTarget(t.id));
      await waitExited(t.id);
      const shared = await runCli(['exec', '--copy', t.name, '--', 'wget', '-qO-', 'http://127.0.0.1:8080/']);
      expect(shared.stdout.toString()).toBe('hello from scratch\n');
      // The provider is stopped here on purpose, so it is no longer compared with its state before.
      watched.splice(watched.findIndex((w) => w.target.id === provider.id), 1);
      cleanups.push(() => removeTarget(provider.id));
      await docker(['kill', provider.id]);
      const alone = await runCli(['exec', '--copy', t.name, '--', 'ip', '-o', 'link']);
      expect(alone.code).toBe(0);
      expect(lines(alone.stdout.toString())).toHaveLength(1);
      expect(alone.stderr).toMatch(/shares the network of container \S+, which is exited; the copy has no network/);
      expect(await eventually(() => copiesOf(t.id))).toEqual([]);
    });
  });

  describe('a running container with --copy', () => {
    it('copies its files but starts nothing of it, and leaves it running untouched', async () => {
      const t = await original(inject('fixtures').scratchServer);
      const result = await runCli(['exec', '--copy', t.name, '--', 'sh', '-c', 'ls /; echo ---; ps -o args; echo ---; echo "$API_TOKEN"']);
      expect(result.code).toBe(0);
      const [files, processes, env] = result.stdout.toString().split('---\n');
      expect(files!.split(/\s+/)).toContain('server');
      expect(processes).not.toMatch(/\/server/);
      expect(env).toBe('s3cr3t-value\n');
    });
  });

  describe('an image', () => {
    it("runs as the image's user in its working directory, with its files", async () => {
      const image = inject('fixtures').distroless;
      const id = await runCli(['exec', image, '--', 'sh', '-c', 'id -u; pwd']);
      expect(id.stderr).toBe('');
      expect(id.stdout.toString()).toBe('65532\n/home/nonroot\n');
      const ls = await runCli(['exec', image, '--', 'ls', '/app']);
      expect(ls.stdout.toString()).toBe('server\n');
      const root = await runCli(['exec', '--user', '0', image, '--', 'id', '-u']);
      expect(root.stdout.toString()).toBe('0\n');
    });

    it('is named with --image-target, and run-entrypoint starts its ENTRYPOINT', async () => {
      const image = inject('fixtures').distroless;
      const result = await runCli(['exec', '--image-target', image, '--', 'sh', '-c', 'run-entrypoint >/dev/null & for i in 1 2 3 4 5 6 7 8 9 10; do wget -qO- http://127.0.0.1:8080/ 2>/dev/null && break; sleep 0.3; done; kill $!']);
      expect(result.stdout.toString()).toBe('hello from distroless\n');
    });
  });

  describe('cleanup', () => {
    for (const [signal, status] of [
      ['SIGTERM', 143],
      ['SIGINT', 130],
    ] as const) {
      it(`removes the copy and its snapshot when the CLI gets ${signal}`, async () => {
        const t = await original(inject('fixtures').exitsAtOnce, { exited: true });
        const cli = spawn(process.execPath, [CLI_PATH, 'exec', '--copy', t.id, '--', 'sleep', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
        let ended = false;
        const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code))).finally(() => (ended = true));
        const deadline = Date.now() + 60_000;
        while (lines(await docker(['ps', '-q', '--filter', `label=io.sidekick.target=${t.id}`])).length === 0) {
          if (ended || Date.now() > deadline) throw new Error(`the copy did not start (CLI ${ended ? `exited ${await exited}` : 'still running'}): ${stderr}`);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        cli.kill(signal);
        expect(await exited).toBe(status);
        expect(await copiesOf(t.id)).toEqual([]);
      });
    }

    it('keeps the copy and the snapshot with --keep and says how to remove them', async () => {
      const t = await original(inject('fixtures').exitsAtOnce, { exited: true });
      const result = await runCli(['exec', '--copy', '--keep', t.name, '--', 'true']);
      const containers = lines(await docker(['ps', '-aq', '--no-trunc', '--filter', `label=io.sidekick.target=${t.id}`]));
      const images = lines(await docker(['image', 'ls', '-q', '--filter', `label=io.sidekick.target=${t.id}`, '--filter', 'label=io.sidekick.kind=copy']));
      cleanups.push(async () => {
        for (const id of containers) await removeTarget(id);
        for (const id of images) await docker(['image', 'rm', id]);
      });
      expect(result.code).toBe(0);
      expect(containers).toHaveLength(1);
      expect(images).toHaveLength(1);
      const labels = JSON.parse(await docker(['inspect', '-f', '{{json .Config.Labels}}', containers[0]!])) as Record<string, string>;
      expect(labels['io.sidekick.kind']).toBe('copy');
      expect(labels['io.sidekick.target']).toBe(t.id);
      const session = labels['io.sidekick.session']!;
      expect(session).toMatch(/^[a-z0-9]{10}$/);
      expect(result.stderr).toContain(`docker rm -f -v ${containers[0]!.slice(0, 12)} && docker rmi sidekick-copy:${session}`);
      const imageLabels = JSON.parse(await docker(['image', 'inspect', '-f', '{{json .Config.Labels}}', `sidekick-copy:${session}`])) as Record<string, string>;
      expect(imageLabels['io.sidekick.session']).toBe(session);
      expect(imageLabels['io.sidekick.kind']).toBe('copy');
      // Cleaned here so that afterEach can check nothing else was left.
      for (const id of containers.splice(0)) await removeTarget(id);
      for (const id of images.splice(0)) await docker(['image', 'rm', id]);
    });
  });

  describe('bad input', () => {
    it('says when an image is not there', async () => {
      const result = await runCli(['exec', '--image-target', 'sidekick-no-such-image:1', '--', 'true']);
      expect(result.code).toBe(125);
      expect(result.stderr).toMatch(/^sidekick: image sidekick-no-such-image:1 is not on /);
      expect(result.stderr.trim().split('\n')).toHaveLength(2);
      const neither = await runCli(['exec', 'sidekick-no-such-thing-xyz', '--', 'true']);
      expect(neither.code).toBe(125);
      expect(neither.stderr).toMatch(/^sidekick: no container named or with an ID starting "sidekick-no-such-thing-xyz", and no local image/);
    });

    it('prefers the container when a name is both, and says so under --debug', async () => {
      const name = `sidekick-both-${randomBytes(4).toString('hex')}`;
      await docker(['tag', inject('fixtures').distroless, `${name}:latest`]);
      cleanups.push(() => docker(['image', 'rm', `${name}:latest`]));
      const t = await original(inject('fixtures').exitsAtOnce, { exited: true, name });
      const result = await runCli(['--debug', 'exec', '--copy', name, '--', 'ls', '/']);
      expect(result.stdout.toString().split(/\s+/)).toContain('exits-at-once');
      expect(result.stderr).toMatch(new RegExp(`"${name}" names both a container and an image; using the container`));
      // The first lines say what the original would run, and how to run it.
      expect(result.stderr).toMatch(/^sidekick: entrypoint: \(none\)\nsidekick: command: +\/exits-at-once\nsidekick: not started; run it with `run-entrypoint/m);
      const plain = await runCli(['exec', name, '--', 'true']);
      expect(plain.code).toBe(125);
      expect(plain.stderr).toMatch(/--copy/);
      const image = await runCli(['exec', '--image-target', name, '--', 'ls', '/app']);
      expect(image.stdout.toString()).toBe('server\n');
      expect(t.id).toMatch(/^[0-9a-f]{64}$/);
    });

    it('refuses an image whose /.sidekick is a symlink, and leaves nothing', async () => {
      const tag = `sidekick-test-hostile:${randomBytes(4).toString('hex')}`;
      const archive = pack();
      archive.entry({ name: 'tmp/', type: 'directory', mode: 0o1777 });
      archive.entry({ name: '.sidekick', type: 'symlink', linkname: '/tmp' });
      archive.finalize();
      const chunks: Buffer[] = [];
      for await (const chunk of archive as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
      await docker(['import', '--change', 'LABEL io.sidekick.test=1', '-', tag], { input: Buffer.concat(chunks) });
      cleanups.push(() => docker(['image', 'rm', tag]));
      const result = await runCli(['exec', tag, '--', 'true']);
      expect(result.code).toBe(125);
      expect(result.stderr).toMatch(/^sidekick: cannot put the toolbox at \/\.sidekick in the copy of /);
      expect(await eventually(() => copiesOfImage(tag))).toEqual([]);
    });

    it('refuses flags that do not apply to copies', async () => {
      const t = await original(inject('fixtures').exitsAtOnce, { exited: true });
      const image = await runCli(['exec', '--copy', '--image', 'busybox', t.name, '--', 'true']);
      expect(image.code).toBe(125);
      expect(image.stderr).toMatch(/--image cannot be used with a copy/);
      const rw = await runCli(['exec', '--rw-volumes', t.name, '--', 'true']);
      expect(rw.code).toBe(125);
      expect(rw.stderr).toMatch(/--rw-volumes applies only to copies/);
      const none = await runCli(['exec']);
      expect(none.code).toBe(125);
    });
  });
});
