/**
 * Zero trace and the right target (docs/RELIABILITY.md): however a session ends, no zombie
 * is added to the target's PID namespace and no sidekick outlives its client by more than a
 * few seconds; a target that shares another container's (or the host's) PID namespace is
 * debugged through its own process, never the namespace's PID 1.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { docker, lines, run } from '../fixtures/docker-cli.js';
import { CLI_PATH, runCli, startTarget, zombieNamesOf } from './harness.js';
import { expectNoSidekicks, sidekicksOf, waitForSidekick } from './sidekick-leftovers.js';
import { watchedTargets } from './watched-targets.js';

describe('zero trace', () => {
  // Each check includes the zombie count of the target's PID namespace (harness snapshot).
  const targets = watchedTargets({ sidekickWaitMs: 20_000, expectNoZombieAtStart: true });
  const target = targets.start.bind(targets);
  afterEach(() => targets.checkAndRemove());

  describe('no zombie is added to the target', () => {
    const cases: Array<[string, string[], number]> = [
      ['a command run as another user', ['--user', '65532', '--', 'sh', '-c', 'sleep 0.1 & true'], 0],
      ['--user target', ['--user', 'target', '--', 'id', '-u'], 0],
      ['a command whose child is killed by timeout', ['--', 'timeout', '1', 'sleep', '5'], 143],
      ['a background process left running', ['--', 'sh', '-c', 'sleep 30 & echo started'], 0],
      ['a double-forked daemon', ['--', 'sh', '-c', '(sleep 30 &) ; (sh -c "sleep 31 & sleep 32" &) ; true'], 0],
      ['the toolbox view with a background process', ['--no-chroot', '--', 'sh', '-c', 'sleep 30 &'], 0],
    ];
    for (const [what, args, status] of cases) {
      it(`after ${what}`, async () => {
        const t = await target(inject('fixtures').scratchServer);
        const result = await runCli(['exec', ...args.slice(0, args.indexOf('--')), t.id, ...args.slice(args.indexOf('--'))]);
        expect(result.code, result.stderr).toBe(status);
        await expectNoSidekicks(t.id);
        expect(await zombieNamesOf(t.id)).toEqual([]);
      });
    }

    it('with a toolbox image that has no init: the host\'s tini is put into the sidekick, never the target', async () => {
      const t = await target(inject('fixtures').scratchServer);
      // The default toolbox without its init and its init label: what any other --image looks like.
      const toolbox = (await runCli(['exec', t.id, '--', 'true'])).code === 0 ? await defaultToolboxImage() : '';
      const image = `sidekick-test-no-init:${Date.now()}`;
      await run('sh', ['-c', `printf 'FROM %s\nRUN rm /.sidekick-init\nLABEL io.sidekick.toolbox.init=""\n' "$1" | DOCKER_BUILDKIT=0 docker build -q -t "$2" -`, 'sh', toolbox, image], { timeoutMs: 60_000 });
      try {
        const result = await runCli(['exec', '--image', image, t.id, '--', 'sh', '-c', 'sleep 30 & ls /'], { timeoutMs: 30_000 });
        expect(result.code, result.stderr).toBe(0);
        expect(result.stdout.toString().split('\n')).toContain('server');
        await expectNoSidekicks(t.id);
        expect(await zombieNamesOf(t.id)).toEqual([]);
      } finally {
        await run('docker', ['image', 'rm', '-f', image]);
      }
    });

    it('after inject, a shell that leaves a background process, and eject', async () => {
      const t = await target(inject('fixtures').distroless);
      expect((await runCli(['inject', t.id])).code).toBe(0);
      // Short sleeps: an orphan that outlives the shell and then exits becomes a zombie of the target's PID 1.
      const shell = await runCli(['shell', t.id, '--', 'sh', '-c', 'sleep 1 & (sleep 1 &) ; echo started']);
      expect(shell.code, shell.stderr).toBe(0);
      expect(shell.stdout.toString()).toContain('started');
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(await zombieNamesOf(t.id)).toEqual([]);
      const ejected = await runCli(['eject', t.id]);
      expect(ejected.code, ejected.stderr).toBe(0);
      await expectNoSidekicks(t.id);
      expect(await zombieNamesOf(t.id)).toEqual([]);
    });

    for (const [signal, status] of [
      ['SIGTERM', 143],
      ['SIGHUP', 129],
      ['SIGINT', 130],
    ] as const) {
      it(`after the CLI gets ${signal} while the session has children`, async () => {
        const t = await target(inject('fixtures').scratchServer);
        const cli = spawn(process.execPath, [CLI_PATH, 'exec', t.id, '--', 'sh', '-c', 'sleep 300 & sleep 301 & echo ready; wait'], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
        await new Promise<void>((resolve) => cli.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve()));
        cli.kill(signal);
        expect(await exited).toBe(status);
        await expectNoSidekicks(t.id);
        expect(await zombieNamesOf(t.id)).toEqual([]);
      });
    }
  });

  describe('a sidekick whose client is gone ends on its own', () => {
    it('after kill -9 of the CLI during `exec T -- sleep 1000`, within seconds, leaving no zombie', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const cli = spawn(process.execPath, [CLI_PATH, 'exec', t.id, '--', 'sh', '-c', 'sleep 1000 & sleep 1000'], { stdio: 'ignore' });
      await waitForSidekick(t.id);
      // Let a few lease renewals happen first: the guard must not end a live session.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await sidekicksOf(t.id)).toHaveLength(1);
      cli.kill('SIGKILL');
      const killedAt = Date.now();
      await expectNoSidekicks(t.id, 20_000);
      expect(Date.now() - killedAt).toBeLessThan(20_000);
      expect(await zombieNamesOf(t.id)).toEqual([]);
    });

    it('after kill -9 of the CLI during an interactive session on a terminal', async () => {
      const t = await target(inject('fixtures').scratchServer);
      // script(1) gives the CLI a real terminal; the shell in the session runs until its client goes.
      const cli = spawn('script', ['-qfec', `${process.execPath} ${CLI_PATH} exec ${t.id}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
      cli.stdout.resume();
      cli.stderr.resume();
      await waitForSidekick(t.id);
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      cli.stdin.write('sleep 500 &\r');
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      // Kill the CLI itself, not script(1), which would hang up the terminal and end the shell the normal way.
      const node = (await findCliPid(t.id)) ?? 0;
      expect(node).toBeGreaterThan(0);
      process.kill(node, 'SIGKILL');
      await expectNoSidekicks(t.id, 20_000);
      expect(await zombieNamesOf(t.id)).toEqual([]);
      cli.kill('SIGKILL');
    });

    it('after kill -9 of the CLI during `exec --copy T -- sleep 1000`: the copy and its snapshot image are gone within seconds', async () => {
      // Not a watched target: a file of its own makes its snapshot's layer its own, shared with no other test.
      const t = await startTarget(inject('fixtures').scratchServer);
      targets.removeLater(t.id);
      const unique = await mkdtemp(join(tmpdir(), 'sidekick-snapshot-'));
      await writeFile(join(unique, 'only-here'), `${t.id} ${Date.now()}`);
      await docker(['cp', join(unique, 'only-here'), `${t.id}:/only-here`]);
      await rm(unique, { recursive: true, force: true });
      const cli = spawn(process.execPath, [CLI_PATH, 'exec', '--copy', t.id, '--', 'sh', '-c', 'sleep 1000 & sleep 1001'], { stdio: 'ignore' });
      const copy = await waitForSidekick(t.id);
      // The snapshot's own layer, under the copy's writable one.
      const snapshotLayer = (await docker(['inspect', '-f', '{{.GraphDriver.Data.LowerDir}}', copy])).trim().split(':')[0] ?? '';
      expect(snapshotLayer).toMatch(/^\/var\/lib\/docker\//);
      expect(existsSync(snapshotLayer)).toBe(true);
      // Renewals first: the copy's guard must not end a live session.
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(await sidekicksOf(t.id)).toHaveLength(1);
      cli.kill('SIGKILL');
      await expectNoSidekicks(t.id, 20_000);
      expect(lines(await docker(['image', 'ls', '-aq', '--filter', `label=io.sidekick.target=${t.id}`])), 'snapshot images left').toEqual([]);
      // The snapshot's layers go with the copy.
      expect(existsSync(snapshotLayer), `${snapshotLayer} left`).toBe(false);
    });

    it('keeps a live copy whose client renews its lease, however long it runs', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const result = await runCli(['exec', '--copy', t.id, '--', 'sh', '-c', 'sleep 9; echo still-here'], { timeoutMs: 60_000 });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.toString()).toContain('still-here');
    });

    it('after kill -9 of the CLI during `shell T -- …`: what it ran in the target ends, leaving no zombie', async () => {
      const t = await target(inject('fixtures').distroless);
      expect((await runCli(['inject', t.id])).code).toBe(0);
      try {
        const cli = spawn(process.execPath, [CLI_PATH, 'shell', t.id, '--', 'sh', '-c', 'sleep 1000 & sleep 1001'], { stdio: 'ignore' });
        await waitFor(async () => (await commandsOf(t.id)).filter((c) => c.startsWith('sleep 100')).length === 2, 15_000);
        cli.kill('SIGKILL');
        await waitFor(async () => !(await commandsOf(t.id)).some((c) => c.startsWith('sleep 100')), 10_000);
        expect(await commandsOf(t.id)).not.toContain('sleep 1000');
        expect(await zombieNamesOf(t.id)).toEqual([]);
      } finally {
        await runCli(['eject', t.id]);
      }
    });

    it('after kill -9 of the CLI during `shell T -- …`: processes started with an emptied environment end too', async () => {
      const t = await target(inject('fixtures').distroless);
      expect((await runCli(['inject', t.id])).code).toBe(0);
      try {
        // No marker in their environment: the keeper cannot see them; the session's shell and its
        // guard find them as descendants of the session's init.
        const cli = spawn(process.execPath, [CLI_PATH, 'shell', t.id, '--', 'sh', '-c', 'env -i /.sidekick/bin/sleep 1000 & exec env -i /.sidekick/bin/sleep 1001'], { stdio: 'ignore' });
        await waitFor(async () => (await commandsOf(t.id)).filter((c) => c.startsWith('/.sidekick/bin/sleep 100')).length === 2, 15_000);
        cli.kill('SIGKILL');
        await waitFor(async () => !(await commandsOf(t.id)).some((c) => c.includes('sleep 100')), 15_000);
        expect(await zombieNamesOf(t.id)).toEqual([]);
      } finally {
        await runCli(['eject', t.id]);
      }
    });

    it('after kill -9 of `shell` on a terminal: the shell and what it started end in the target', async () => {
      const t = await target(inject('fixtures').distroless);
      expect((await runCli(['inject', t.id])).code).toBe(0);
      try {
        const cli = spawn('script', ['-qfec', `${process.execPath} ${CLI_PATH} shell ${t.id}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
        cli.stdout.resume();
        cli.stderr.resume();
        await waitFor(async () => (await commandsOf(t.id)).some((c) => c.includes('sidekick')), 15_000);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        cli.stdin.write('sleep 777 &\r');
        cli.stdin.write('sleep 778\r');
        await waitFor(async () => (await commandsOf(t.id)).filter((c) => c.startsWith('sleep 77')).length === 2, 10_000);
        // The CLI itself, not script(1): a hang-up of its terminal would end the shell the normal way.
        const node = (await findCliPid(t.id)) ?? 0;
        expect(node).toBeGreaterThan(0);
        process.kill(node, 'SIGKILL');
        await waitFor(async () => !(await commandsOf(t.id)).some((c) => c.startsWith('sleep 77')), 10_000);
        expect(await zombieNamesOf(t.id)).toEqual([]);
        cli.kill('SIGKILL');
      } finally {
        await runCli(['eject', t.id]);
      }
    });

    it('keeps a live session whose client renews its lease, however long it runs', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const started = Date.now();
      const result = await runCli(['exec', t.id, '--', 'sh', '-c', 'sleep 9; echo still-here']);
      expect(result.code).toBe(0);
      expect(result.stdout.toString()).toContain('still-here');
      expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
    });
  });

  describe('the right target in a shared PID namespace', () => {
    it("debugs a target started with --pid container:X through its own process, not X's PID 1", async () => {
      const x = await target(inject('fixtures').scratchServer);
      const t = await target(inject('fixtures').distroless, { dockerArgs: ['--pid', `container:${x.id}`] });

      const root = await runCli(['exec', t.id, '--', 'ls', '/']);
      expect(root.code, root.stderr).toBe(0);
      expect(root.stdout.toString().split('\n')).toContain('app');
      expect(root.stdout.toString().split('\n')).not.toContain('server');

      const user = await runCli(['exec', '--user', 'target', t.id, '--', 'id', '-u']);
      expect(user.stdout.toString().trim()).toBe('65532');

      const inspected = await runCli(['inspect', '--json', t.id]);
      expect(inspected.code, inspected.stderr).toBe(0);
      const report = JSON.parse(inspected.stdout.toString()) as { pid1: { pid: number; executable: string }; user: { uid: { real: number } } };
      expect(report.pid1.executable).toBe('/app/server');
      expect(report.pid1.pid).not.toBe(1);
      expect(report.user.uid.real).toBe(65532);

      const ps = await runCli(['ps', '--json', t.id]);
      const rows = (JSON.parse(ps.stdout.toString()) as { processes: Array<{ command: string[]; owner: { kind: string; id?: string } }> }).processes;
      expect(rows.find((row) => row.command[0] === '/app/server')?.owner).toEqual({ kind: 'target' });
      expect(rows.find((row) => row.command[0] === '/server')?.owner).toMatchObject({ kind: 'container', id: x.id });
      const human = await runCli(['ps', t.id]);
      expect(human.stdout.toString()).toMatch(new RegExp(`/server\\s+\\[container ${x.name}\\]`));
    });

    it('debugs a target with the host PID namespace through its own root, never the host root', async () => {
      const t = await target(inject('fixtures').scratchServer, { dockerArgs: ['--pid', 'host'] });
      const root = await runCli(['exec', t.id, '--', 'ls', '/']);
      expect(root.code, root.stderr).toBe(0);
      const names = root.stdout.toString().trim().split('\n');
      expect(names).toContain('server');
      // The host's root has /usr; the scratch target has none.
      expect(names).not.toContain('usr');
      const inspected = JSON.parse((await runCli(['inspect', '--json', t.id])).stdout.toString()) as { pid1: { executable: string } };
      expect(inspected.pid1.executable).toBe('/server');
    });
  });
});

/** The default toolbox image the CLI built (it is tagged by content, so the newest one). */
async function defaultToolboxImage(): Promise<string> {
  const images = (await docker(['image', 'ls', '--filter', 'label=io.sidekick.toolbox.init', '--format', '{{.Repository}}:{{.Tag}}'])).trim().split('\n');
  const image = images.find((name) => name.startsWith('sidekick-toolbox:busybox-'));
  if (image === undefined) throw new Error('no default toolbox image with an init');
  return image;
}

/** The command lines of the processes in a container's PID namespace, read from the host's /proc. */
async function commandsOf(id: string): Promise<string[]> {
  const { readdir, readFile, readlink } = await import('node:fs/promises');
  const pid = Number((await docker(['inspect', '-f', '{{.State.Pid}}', id])).trim());
  const namespace = await readlink(`/proc/${pid}/ns/pid`);
  const commands: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    if ((await readlink(`/proc/${entry}/ns/pid`).catch(() => '')) !== namespace) continue;
    commands.push((await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ').trim());
  }
  return commands;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not so after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The pid of the node process running `sidekick exec <targetId>`, from the host's /proc. */
async function findCliPid(targetId: string): Promise<number | undefined> {
  const { readdir, readFile } = await import('node:fs/promises');
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (cmdline[0] === process.execPath && cmdline.includes(CLI_PATH) && cmdline.includes(targetId)) return Number(entry);
  }
  return undefined;
}
