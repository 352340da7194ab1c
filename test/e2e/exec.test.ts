import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { check, docker, run } from '../fixtures/docker-cli.js';
import { CLI_PATH, removeTarget, runCli, startTarget, waitExited } from './harness.js';
import { expectNoSidekicks, waitForSidekick } from './sidekick-leftovers.js';
import { watchedTargets } from './watched-targets.js';

describe('sidekick exec', () => {
  const targets = watchedTargets();
  const target = targets.start.bind(targets);

  beforeAll(async () => {
    // Builds the toolbox image once, so that no test measures or races the first build.
    const warm = await startTarget(inject('fixtures').scratchServer);
    try {
      await runCli(['exec', warm.id, '--', 'true']);
    } finally {
      await removeTarget(warm.id);
    }
  });

  afterEach(() => targets.checkAndRemove());

  describe('in a FROM scratch target', () => {
    it("reaches the target's server over the shared loopback, including a port bound only to 127.0.0.1", async () => {
      const t = await target(inject('fixtures').scratchServer);
      const result = await runCli(['exec', t.name, '--', 'wget', '-qO-', 'http://127.0.0.1:8080/']);
      expect(result.stderr).toBe('');
      expect(result.stdout.toString()).toBe('hello from scratch\n');
      expect(result.code).toBe(0);
      const loopback = await runCli(['exec', t.name, '--', 'wget', '-qO-', 'http://127.0.0.1:9090/']);
      expect(loopback.stdout.toString()).toBe('loopback only\n');
    });

    it("lists the target's PID 1 with ps", async () => {
      const t = await target(inject('fixtures').scratchServer);
      const result = await runCli(['exec', t.id.slice(0, 12), '--', 'ps', '-o', 'pid,comm,args']);
      expect(result.code).toBe(0);
      const pid1 = result.stdout.toString().split('\n').find((line) => /^\s*1\s/.test(line));
      expect(pid1).toMatch(/\/server/);
    });

    it("shows the target's own root at / and writes nothing into it", async () => {
      const t = await target(inject('fixtures').scratchServer);
      const result = await runCli(['exec', t.name, '--', 'ls', '/']);
      expect(result.code).toBe(0);
      const entries = result.stdout.toString().trim().split(/\s+/);
      expect(entries).toContain('server');
      expect(entries).not.toContain('.sidekick');
      // The toolbox is reached through /proc, not from a copy in the target, and it alone is on
      // PATH: a program the target planted must not run with the sidekick's privileges by name.
      const path = await runCli(['exec', t.name, '--', 'sh', '-c', 'echo "$PATH"; ls "${PATH##*:}/wget"']);
      expect(path.stdout.toString()).toMatch(/^(\/proc\/\d+\/root\/bin)\n\1\/wget\n$/);
    });

    it("reads PID 1's environment", async () => {
      const t = await target(inject('fixtures').scratchServer);
      const result = await runCli(['exec', t.name, '--', 'cat', '/proc/1/environ']);
      expect(result.stdout.toString().split('\0')).toContain('API_TOKEN=s3cr3t-value');
    });

    it('keeps the toolbox root with --no-chroot and shows the target at /target', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const result = await runCli(['exec', '--no-chroot', t.name, '--', 'sh', '-c', 'ls /target; echo ---; ls /bin/busybox']);
      expect(result.code).toBe(0);
      const [targetRoot, own] = result.stdout.toString().split('---\n');
      expect(targetRoot!.split(/\s+/)).toContain('server');
      expect(own).toBe('/bin/busybox\n');
    });

    it('joins a shareable IPC namespace', async () => {
      const t = await target(inject('fixtures').scratchServer, { ipc: 'shareable' });
      const own = (await docker(['inspect', '-f', '{{.State.Pid}}', t.id])).trim();
      const result = await runCli(['exec', t.name, '--', 'sh', '-c', 'readlink /proc/1/ns/ipc; readlink /proc/self/ns/ipc']);
      const [theirs, mine] = result.stdout.toString().trim().split('\n');
      expect(own).toMatch(/^\d+$/);
      expect(mine).toBe(theirs);
    });
  });

  describe('streams and status', () => {
    it('passes the exit status of the command', async () => {
      const t = await target(inject('fixtures').scratchServer);
      expect((await runCli(['exec', t.name, '--', 'sh', '-c', 'exit 3'])).code).toBe(3);
      const missing = await runCli(['exec', t.name, '--', 'no-such-tool']);
      expect(missing.code).toBe(127);
      expect(missing.stderr).toMatch(/no-such-tool/);
    });

    it('keeps stdout and stderr apart', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const result = await runCli(['exec', t.name, '--', 'sh', '-c', 'echo out; echo err >&2; echo out2']);
      expect(result.stdout.toString()).toBe('out\nout2\n');
      expect(result.stderr).toBe('err\n');
    });

    it('forwards piped stdin and loses nothing after it ends', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const hi = await runCli(['exec', '-i', t.name, '--', 'cat'], { input: 'hi\n' });
      expect(hi.stdout.toString()).toBe('hi\n');
      expect(hi.code).toBe(0);
      // Output produced after stdin closed must still arrive.
      const late = await runCli(['exec', '-i', t.name, '--', 'sh', '-c', 'cat; sleep 0.3; echo after'], { input: 'x' });
      expect(late.stdout.toString()).toBe('xafter\n');
    });

    it('ends the session with status 141 when its reader goes away (| head)', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const cli = spawn(process.execPath, [CLI_PATH, 'exec', t.id, '--', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
      let stderr = '';
      cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      await new Promise((resolve) => cli.stdout.once('data', resolve));
      cli.stdout.destroy();
      expect(await exited).toBe(141);
      expect(stderr).toBe('');
      await expectNoSidekicks(t.id);
    });

    it('is byte-exact for binary data in both directions', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const payload = randomBytes(3 * 1024 * 1024 + 17);
      const result = await runCli(['exec', '-i', t.name, '--', 'cat'], { input: payload });
      expect(result.code).toBe(0);
      expect(createHash('sha256').update(result.stdout).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
    });

    it('reads a script from stdin when no command is given and stdin is not a terminal', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const result = await runCli(['exec', t.name], { input: 'echo $((6*7))\nexit 4\n' });
      expect(result.stdout.toString()).toBe('42\n');
      expect(result.code).toBe(4);
    });
  });

  describe('users', () => {
    it('reads /proc/1/environ of a target running as 65532', async () => {
      const t = await target(inject('fixtures').distroless);
      const result = await runCli(['exec', t.name, '--', 'cat', '/proc/1/environ']);
      expect(result.code).toBe(0);
      expect(result.stdout.toString().split('\0').some((entry) => entry.startsWith('PATH='))).toBe(true);
    });

    it("runs as the target's own user with --user target, in its root", async () => {
      const t = await target(inject('fixtures').distroless);
      const result = await runCli(['exec', '--user', 'target', t.name, '--', 'sh', '-c', 'id -u; id -g; ls /app']);
      expect(result.stderr).toBe('');
      expect(result.stdout.toString()).toBe('65532\n65532\nserver\n');
    });

    it('runs as a given UID:GID', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const result = await runCli(['exec', '-u', '1234:5678', t.name, '--', 'sh', '-c', 'id -u; id -g']);
      expect(result.stdout.toString()).toBe('1234\n5678\n');
      const plain = await runCli(['exec', '--no-chroot', '-u', '4321', t.name, '--', 'id', '-u']);
      expect(plain.stdout.toString()).toBe('4321\n');
    });

    it('works against a read-only root filesystem', async () => {
      const t = await target(inject('fixtures').distroless, { readOnly: true });
      const result = await runCli(['exec', t.name, '--', 'sh', '-c', 'ls /app && wget -qO- http://127.0.0.1:8080/']);
      expect(result.code).toBe(0);
      expect(result.stdout.toString()).toBe('server\nhello from distroless\n');
    });
  });

  describe('bad input', () => {
    it('says when there is no such target', async () => {
      const result = await runCli(['exec', 'no-such-container-xyz', '--', 'true']);
      expect(result.code).toBe(125);
      expect(result.stderr).toMatch(/^sidekick: no container named or with an ID starting "no-such-container-xyz"/);
      expect(result.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    });

    it('lists the matches of an ambiguous ID prefix', async () => {
      const image = inject('fixtures').exitsAtOnce;
      const ids: string[] = [];
      let prefix: string | undefined;
      // Create stopped containers until two share a first hex digit (at most 17 by pigeonhole).
      while (prefix === undefined) {
        const id = (await docker(['create', '--label', 'io.sidekick.test=1', image])).trim();
        targets.removeLater(id);
        prefix = ids.find((other) => other[0] === id[0])?.[0];
        ids.push(id);
      }
      const result = await runCli(['exec', prefix, '--', 'true']);
      expect(result.code).toBe(125);
      expect(result.stderr).toMatch(new RegExp(`^sidekick: "${prefix}" matches \\d+ containers: `));
      for (const id of ids.filter((id) => id.startsWith(prefix!))) expect(result.stderr).toContain(id.slice(0, 12));
    });

    it('refuses a target that is not running and points to --copy', async () => {
      const t = await startTarget(inject('fixtures').exitsAtOnce);
      targets.removeLater(t.id);
      await waitExited(t.id);
      const result = await runCli(['exec', t.name, '--', 'true']);
      expect(result.code).toBe(125);
      expect(result.stderr).toMatch(/is not running \(exited\)/);
      expect(result.stderr).toMatch(/--copy/);
    });

    it('refuses a paused target', async () => {
      const t = await target(inject('fixtures').scratchServer);
      await docker(['pause', t.id]);
      try {
        const result = await runCli(['exec', t.name, '--', 'true']);
        expect(result.code).toBe(125);
        expect(result.stderr).toMatch(/is paused/);
        expect(result.stderr).toMatch(/docker unpause/);
      } finally {
        await docker(['unpause', t.id]);
      }
    });

    it('names the engine it was given in a hint, as a command that works there', async () => {
      const t = await target(inject('fixtures').scratchServer);
      await docker(['pause', t.id]);
      try {
        const host = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
        const result = await runCli(['-H', host, 'exec', t.name, '--', 'true']);
        expect(result.code).toBe(125);
        const hinted = /\((docker -H \S+ unpause \S+)\)/.exec(result.stderr)?.[1];
        expect(hinted).toBe(`docker -H ${host} unpause ${t.name}`);
        // Run as the hint says, from a shell where DOCKER_HOST names no engine.
        await check('sh', ['-c', hinted!], { env: { ...process.env, DOCKER_HOST: 'unix:///nonexistent.sock' } });
        expect((await docker(['inspect', '-f', '{{.State.Status}}', t.id])).trim()).toBe('running');
      } finally {
        await run('docker', ['unpause', t.id]);
      }
    });

    it('says when an image cannot be had', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const result = await runCli(['exec', '--image', 'sidekick-no-such-image.invalid/none:1', t.name, '--', 'true']);
      expect(result.code).toBe(125);
      expect(result.stderr).toMatch(/^sidekick: cannot pull image sidekick-no-such-image\.invalid\/none:1/);
    });

    it('refuses flags that contradict each other', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const both = await runCli(['exec', '--privileged', '--cap-add', 'NET_ADMIN', t.name, '--', 'true']);
      expect(both.code).toBe(125);
      expect(both.stderr).toMatch(/--privileged.*--cap-add/);
      const tty = await runCli(['exec', '-it', t.name, '--', 'true']);
      expect(tty.code).toBe(125);
      expect(tty.stderr).toMatch(/the input device is not a TTY/);
      const user = await runCli(['exec', '--user', 'nobody', t.name, '--', 'true']);
      expect(user.code).toBe(125);
      expect(user.stderr).toMatch(/--user "nobody"/);
    });
  });

  describe('cleanup', () => {
    for (const [signal, status] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
      ['SIGHUP', 129],
    ] as const) {
      it(`removes the sidekick when the CLI gets ${signal}`, async () => {
        const t = await target(inject('fixtures').scratchServer);
        const cli = spawn(process.execPath, [CLI_PATH, 'exec', t.id, '--', 'sleep', '60'], { stdio: ['ignore', 'pipe', 'pipe'] });
        const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
        await waitForSidekick(t.id);
        cli.kill(signal);
        expect(await exited).toBe(status);
        await expectNoSidekicks(t.id);
      });
    }

    it('leaves removal to the engine when the CLI is killed with -9', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const cli = spawn(process.execPath, [CLI_PATH, 'exec', t.id, '--', 'sleep', '1'], { stdio: 'ignore' });
      await waitForSidekick(t.id);
      cli.kill('SIGKILL');
      await expectNoSidekicks(t.id, 15_000);
    });

    it('keeps the sidekick with --keep and says how to remove it', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const result = await runCli(['exec', '--keep', t.name, '--', 'true']);
      const kept = (await docker(['ps', '-aq', '--filter', `label=io.sidekick.target=${t.id}`])).trim();
      targets.removeLater(kept);
      expect(result.code).toBe(0);
      expect(kept).toMatch(/^[0-9a-f]+$/);
      expect(result.stderr).toContain(`docker stop ${kept.slice(0, 12)} && docker rm ${kept.slice(0, 12)}`);
      const labels = JSON.parse(await docker(['inspect', '-f', '{{json .Config.Labels}}', kept])) as Record<string, string>;
      expect(labels['io.sidekick.kind']).toBe('sidekick');
      expect(labels['io.sidekick.target']).toBe(t.id);
      expect(labels['io.sidekick.session']).toMatch(/^[a-z0-9]{10}$/);
      expect(new Date(labels['io.sidekick.created']!).getTime()).toBeGreaterThan(Date.now() - 60_000);
      await removeTarget(kept);
    });
  });
});
