/**
 * The exec flags a docker user expects (docs/RELIABILITY.md, "cli flags"): -w, --env-file, -d,
 * --copy --network, and the names of what sidekick makes. Each runs against the real engine.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { connectEngine } from '../../src/cli/engine-from-flags.js';
import { pruneSessions } from '../../src/debug/prune.js';
import { docker, lines } from '../fixtures/docker-cli.js';
import { CLI_PATH, REPO_ROOT, removeTarget, runCli, startTarget, waitExited, zombiesOf } from './harness.js';
import { waitForSidekick } from './sidekick-leftovers.js';
import { TmuxSession, waitForFile } from './tmux-session.js';
import { watchedTargets } from './watched-targets.js';

const NAME_SUFFIX = '[a-z0-9]{6}';

describe('exec flags a docker user expects', () => {
  const targets = watchedTargets();
  const cleanups: Array<() => Promise<unknown>> = [];

  afterEach(async () => {
    try {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    } finally {
      await targets.checkAndRemove();
    }
  });

  describe('-w/--workdir', () => {
    it("starts the command in that directory of the target's root, in the chroot view", async () => {
      const t = await targets.start(inject('fixtures').distroless);
      const result = await runCli(['exec', '-w', '/etc', t.name, '--', 'sh', '-c', 'pwd; ls']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const [pwd, ...files] = lines(result.stdout.toString());
      expect(pwd).toBe('/etc');
      expect(files).toContain('passwd');
      const long = await runCli(['exec', '--workdir', '/home/nonroot', t.name, '--', 'pwd']);
      expect(long.stdout.toString()).toBe('/home/nonroot\n');
    });

    it('starts it in the toolbox root with --no-chroot (the target is at /target)', async () => {
      const t = await targets.start(inject('fixtures').scratchServer);
      const result = await runCli(['exec', '--no-chroot', '-w', '/target', t.name, '--', 'sh', '-c', 'pwd; ls']);
      expect(result.code).toBe(0);
      const [pwd, ...files] = lines(result.stdout.toString());
      expect(pwd).toBe('/target');
      expect(files).toContain('server');
    });

    it('fails with 126 and a plain line for a directory the target lacks, and creates nothing in it', async () => {
      const t = await targets.start(inject('fixtures').scratchServer);
      const result = await runCli(['exec', '-w', '/no/such/dir', t.name, '--', 'true']);
      expect(result.code).toBe(126);
      expect(result.stderr).toBe('sidekick: cannot change to /no/such/dir (-w): no such directory there\n');
      // watchedTargets checks after the test that the target's diff did not change.
    });

    it('refuses a relative directory before any engine work', async () => {
      const result = await runCli(['exec', '-w', 'etc', 'whatever', '--', 'true']);
      expect(result.code).toBe(125);
      expect(result.stderr).toMatch(/^sidekick: -w "etc" is not an absolute path\./);
    });

    it('starts a copy in that directory', async () => {
      const t = await startTarget(inject('fixtures').exitsAtOnce);
      cleanups.push(() => removeTarget(t.id));
      await waitExited(t.id);
      const result = await runCli(['exec', '--copy', '-w', '/.sidekick', t.name, '--', 'pwd']);
      expect(result.code).toBe(0);
      expect(result.stdout.toString()).toBe('/.sidekick\n');
    });
  });

  describe('--env-file', () => {
    it('sets the variables of each file, in order, with -e winning', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sidekick-env-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const first = join(dir, 'first.env');
      const second = join(dir, 'second.env');
      await writeFile(first, '# settings\nGREETING=hello world\nLEVEL=1\nFROM_SHELL\n');
      await writeFile(second, 'LEVEL=2\nQUOTED="as written"\n');
      const t = await targets.start(inject('fixtures').scratchServer);
      const result = await runCli(
        ['exec', '--env-file', first, '--env-file', second, '-e', 'QUOTED=from -e', t.name, '--', 'sh', '-c', 'echo "$GREETING|$LEVEL|$QUOTED|$FROM_SHELL"'],
        { env: { FROM_SHELL: 'passed through' } },
      );
      expect(result.stderr).toBe('');
      expect(result.stdout.toString()).toBe('hello world|2|from -e|passed through\n');
    });

    it('names the file and line of a bad entry', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'sidekick-env-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const bad = join(dir, 'bad.env');
      await writeFile(bad, 'A=1\nMY VAR=2\n');
      const result = await runCli(['exec', '--env-file', bad, 'whatever', '--', 'true']);
      expect(result.code).toBe(125);
      expect(result.stderr).toMatch(new RegExp(`^sidekick: --env-file ${bad}, line 2: variable name "MY VAR" contains blanks\\.`));
    });

    // Node 20 scans every argument for --env-file, after the script's name too (nodejs/node#54232):
    // run as `node script --env-file F`, it would load F into sidekick's own environment, or stop
    // with its own message. The installed command starts node with `--` before the script.
    it('run as the installed command: the file is the session\'s alone, never sidekick\'s own environment', async () => {
      const t = await targets.start(inject('fixtures').scratchServer);
      const dir = await mkdtemp(join(tmpdir(), 'sidekick-env-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const file = join(dir, 'app.env');
      await writeFile(file, 'DOCKER_HOST=unix:///nonexistent/docker.sock\nFOO=from-the-file\n');
      const direct = await runExecutable([CLI_PATH, 'exec', '--env-file', file, t.id, '--', 'sh', '-c', 'echo "$FOO"']);
      expect(direct.code, direct.stderr).toBe(0);
      expect(direct.stdout).toBe('from-the-file\n');
      const missing = await runExecutable([CLI_PATH, 'exec', '--env-file', join(dir, 'missing.env'), t.id, '--', 'true']);
      expect(missing.code).toBe(125);
      expect(missing.stderr).toMatch(/^sidekick: .*missing\.env/);
    });
  });

  describe('-d/--detach', () => {
    it('returns the sidekick\'s name at once; sessions lists it, plain prune keeps it, prune --all ends it without a zombie', async () => {
      const t = await targets.start(inject('fixtures').scratchServer);
      const zombiesBefore = await zombiesOf(t.id);
      // A child in the background too: ending the session must reap it, not hand it to the target.
      const result = await runCli(['exec', '-d', t.name, '--', 'sh', '-c', 'sleep 600 & sleep 600']);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const name = result.stdout.toString().trim();
      expect(name).toMatch(new RegExp(`^sidekick-${t.name}-${NAME_SUFFIX}$`));
      expect((await docker(['inspect', '-f', '{{.State.Running}} {{index .Config.Labels "io.sidekick.target"}}', name])).trim()).toBe(`true ${t.id}`);
      // Still running once its client is long gone: no lease to miss.
      await new Promise((resolve) => setTimeout(resolve, 7_000));
      expect((await docker(['inspect', '-f', '{{.State.Running}}', name])).trim()).toBe('true');

      const sessions = await runCli(['sessions']);
      const row = lines(sessions.stdout.toString()).find((line) => line.includes(name));
      expect(row).toMatch(/dead \(detached with -d\)/);
      const dry = await runCli(['prune', '--dry-run']);
      expect(lines(dry.stdout.toString()).find((line) => line.includes(name))).toMatch(/^would keep container .*: detached on purpose \(exec -d\); prune --all removes it$/);

      // prune --all, limited to this session (the engine is shared: --all alone would end other runs' sessions).
      const id = (await docker(['inspect', '-f', '{{.Id}}', name])).trim();
      const { engine } = connectEngine({});
      try {
        const report = await pruneSessions(engine, { includeRunning: true, graceMs: 0, onlyIds: new Set([id]) });
        expect(report.removed.map((item) => item.id)).toEqual([id]);
        expect(report.removed[0]?.reason).toBe('--all: detached on purpose (exec -d)');
      } finally {
        engine.close();
      }
      await waitGone(name);
      expect(await zombiesOf(t.id)).toBe(zombiesBefore);
    });

    it('with no command leaves a shell waiting for docker attach, and removes itself when its command ends', async () => {
      const t = await targets.start(inject('fixtures').scratchServer);
      const shell = (await runCli(['exec', '-d', t.name])).stdout.toString().trim();
      expect((await docker(['inspect', '-f', '{{.Config.Tty}} {{.Config.OpenStdin}} {{.State.Running}}', shell])).trim()).toBe('true true true');
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      expect((await docker(['inspect', '-f', '{{.State.Running}}', shell])).trim()).toBe('true');
      await docker(['stop', shell]);
      await waitGone(shell);

      const short = await runCli(['exec', '-d', t.name, '--', 'sleep', '1']);
      expect(short.code).toBe(0);
      await waitGone(short.stdout.toString().trim());
    });

    it('is back in with docker attach, and left again with the detach keys, still running', async () => {
      const t = await targets.start(inject('fixtures').scratchServer);
      const shell = (await runCli(['exec', '-d', t.name])).stdout.toString().trim();
      cleanups.push(() => docker(['stop', shell]));
      const statusFile = join(tmpdir(), `sidekick-attach-${randomBytes(4).toString('hex')}`);
      cleanups.push(() => rm(statusFile, { force: true }));
      const tmux = await TmuxSession.start(`docker attach ${shell}; echo "$?" > ${statusFile}; sleep 60`, 120, 40);
      cleanups.push(() => tmux.kill());
      // The shell's prompt is not redrawn on attach: a command typed shows that it is there.
      await tmux.type('echo "in the $((40 + 2))nd session"', 'Enter');
      await tmux.waitFor(/in the 42nd session/);
      await tmux.type('C-p', 'C-q');
      await waitForFile(statusFile);
      expect((await docker(['inspect', '-f', '{{.State.Running}}', shell])).trim()).toBe('true');
    });

    it('is back in with exec --attach; the detach keys leave it running, exit in its shell ends it and removes it', async () => {
      const t = await targets.start(inject('fixtures').scratchServer);
      const shell = (await runCli(['exec', '-d', t.name])).stdout.toString().trim();
      cleanups.push(() => docker(['stop', shell]));
      const attach = async (): Promise<{ tmux: TmuxSession; statusFile: string }> => {
        const statusFile = join(tmpdir(), `sidekick-attach-${randomBytes(4).toString('hex')}`);
        cleanups.push(() => rm(statusFile, { force: true }));
        const tmux = await TmuxSession.start(`node ${CLI_PATH} exec --attach ${shell}; echo "$?" > ${statusFile}; sleep 60`, 120, 40);
        cleanups.push(() => tmux.kill());
        return { tmux, statusFile };
      };

      const first = await attach();
      await first.tmux.type('echo "back $((20 + 1))"', 'Enter');
      await first.tmux.waitFor(/^back 21$/m);
      await first.tmux.type('C-p', 'C-q');
      expect(await waitForFile(first.statusFile)).toBe('0\n');
      // The line is longer than the terminal is wide: read it unwrapped.
      expect((await first.tmux.screen()).replace(/\n/g, '')).toContain(`sidekick: detached (ctrl-p,ctrl-q); ${shell} keeps running. Back in: sidekick exec --attach ${shell}`);
      expect((await docker(['inspect', '-f', '{{.State.Running}}', shell])).trim()).toBe('true');

      const second = await attach();
      await second.tmux.type('echo "again $((40 + 2))"', 'Enter');
      await second.tmux.waitFor(/^again 42$/m);
      await second.tmux.type('exit', 'Enter');
      expect(await waitForFile(second.statusFile)).toBe('0\n');
      await waitGone(shell);
      // watchedTargets checks after the test that no zombie was added to the target.
    });

    it('refuses --attach to a container that is not a sidekick session', async () => {
      const t = await targets.start(inject('fixtures').scratchServer);
      const result = await runCli(['exec', '--attach', t.name]);
      expect(result.code).toBe(125);
      expect(result.stderr).toMatch(new RegExp(`^sidekick: ${t.name} is not a sidekick session\\.`));
    });

    it('refuses -d with --copy', async () => {
      const result = await runCli(['exec', '-d', '--copy', 'whatever', '--', 'true']);
      expect(result.code).toBe(125);
      expect(result.stderr).toMatch(/^sidekick: -d works on a running target/);
    });
  });

  describe('names', () => {
    it('names a sidekick and a copy sidekick-<target>-<short id>', async () => {
      const t = await targets.start(inject('fixtures').scratchServer);
      const running = runInBackground(['exec', t.name, '--', 'sleep', '60']);
      try {
        const id = await waitForSidekick(t.id);
        const name = (await docker(['inspect', '-f', '{{.Name}}', id])).trim();
        expect(name).toMatch(new RegExp(`^/sidekick-${t.name}-${NAME_SUFFIX}$`));
      } finally {
        running.kill('SIGTERM');
        await new Promise((resolve) => running.once('close', resolve));
      }

      const stopped = await startTarget(inject('fixtures').exitsAtOnce);
      cleanups.push(() => removeTarget(stopped.id));
      await waitExited(stopped.id);
      const copy = runInBackground(['exec', '--copy', stopped.name, '--', 'sleep', '60']);
      try {
        const id = await waitForSidekick(stopped.id);
        const name = (await docker(['inspect', '-f', '{{.Name}} {{index .Config.Labels "io.sidekick.kind"}}', id])).trim();
        expect(name).toMatch(new RegExp(`^/sidekick-${stopped.name}-${NAME_SUFFIX} copy$`));
      } finally {
        copy.kill('SIGTERM');
        await new Promise((resolve) => copy.once('close', resolve));
      }
    });

    it('cuts a long target name to 40 characters in the name, which the engine accepts', async () => {
      const long = `sidekick-test-${randomBytes(4).toString('hex')}.${'long_'.repeat(12)}`;
      const t = await targets.start(inject('fixtures').scratchServer, { name: long });
      const result = await runCli(['exec', '-d', t.name, '--', 'sleep', '600']);
      expect(result.code).toBe(0);
      const name = result.stdout.toString().trim();
      cleanups.push(() => docker(['stop', name]));
      expect(name).toMatch(new RegExp(`^sidekick-${long.slice(0, 40).replace(/[_.-]+$/, '').replace(/\./g, '\\.')}-${NAME_SUFFIX}$`));
      expect((await docker(['inspect', '-f', '{{.State.Running}}', name])).trim()).toBe('true');
    });

    it('names the short-lived sidekicks of inspect and ls sidekick-<target>-<short id>', async () => {
      const t = await targets.start(inject('fixtures').scratchServer);
      // The engine's own record of what was created for the target: these sidekicks are gone when the command ends.
      const since = Math.floor(Date.now() / 1000) - 1;
      for (const args of [['inspect', t.name], ['ls', `${t.name}:/`]]) {
        const result = await runCli(args);
        expect(result.code, result.stderr).toBe(0);
      }
      const until = Math.ceil(Date.now() / 1000) + 1;
      const events = await docker(['events', '--since', String(since), '--until', String(until), '--filter', 'event=create', '--filter', `label=io.sidekick.target=${t.id}`, '--format', '{{.Actor.Attributes.name}}']);
      const names = lines(events);
      expect(names.length).toBeGreaterThanOrEqual(2);
      for (const name of names) expect(name).toMatch(new RegExp(`^sidekick-${t.name}-${NAME_SUFFIX}$`));
    });

    it('names a forwarder sidekick-<target>-<short id>', async () => {
      const t = await targets.start(inject('fixtures').scratchServer);
      const forwarding = runInBackground(['port-forward', t.name, '0:8080']);
      try {
        const id = await waitForSidekick(t.id);
        const name = (await docker(['inspect', '-f', '{{.Name}} {{index .Config.Labels "io.sidekick.kind"}}', id])).trim();
        expect(name).toMatch(new RegExp(`^/sidekick-${t.name}-${NAME_SUFFIX} forwarder$`));
      } finally {
        forwarding.kill('SIGINT');
        await new Promise((resolve) => forwarding.once('close', resolve));
      }
    });

    it('keeps the name given with --name, whose clash is the user\'s error', async () => {
      const t = await targets.start(inject('fixtures').scratchServer);
      const first = (await runCli(['exec', '-d', t.name, '--', 'sleep', '600'])).stdout.toString().trim();
      cleanups.push(() => docker(['stop', first]));
      const given = `my-debugger-${randomBytes(3).toString('hex')}`;
      const second = (await runCli(['exec', '-d', '--name', given, t.name, '--', 'sleep', '600'])).stdout.toString().trim();
      cleanups.push(() => docker(['stop', second]));
      expect(second).toBe(given);
      const clash = await runCli(['exec', '--name', given, t.name, '--', 'true']);
      expect(clash.code).toBe(125);
      expect(clash.stderr).toMatch(/is already in use/);
    });
  });

  describe('--copy --network', () => {
    it('starts a copy of a container whose network was removed, with --network none', async () => {
      const network = `sidekick-test-net-${randomBytes(4).toString('hex')}`;
      await docker(['network', 'create', '--label', 'io.sidekick.test=1', network]);
      cleanups.push(() => docker(['network', 'rm', network]));
      const t = await startTarget(inject('fixtures').exitsAtOnce, { dockerArgs: ['--network', network] });
      cleanups.push(() => removeTarget(t.id));
      await waitExited(t.id);
      await docker(['network', 'rm', network]);

      const broken = await runCli(['exec', '--copy', t.name, '--', 'true']);
      expect(broken.code).toBe(125);
      const none = await runCli(['exec', '--copy', '--network', 'none', t.name, '--', 'ip', '-o', 'link']);
      expect(none.stderr).toBe('');
      expect(none.code).toBe(0);
      // Only the loopback: the copy has no network.
      expect(lines(none.stdout.toString())).toHaveLength(1);
      expect(lines(await docker(['ps', '-aq', '--filter', `label=io.sidekick.target=${t.id}`]))).toEqual([]);
    });

    it('puts a copy on the network named', async () => {
      const network = `sidekick-test-net-${randomBytes(4).toString('hex')}`;
      await docker(['network', 'create', '--label', 'io.sidekick.test=1', network]);
      cleanups.push(() => docker(['network', 'rm', network]));
      const subnet = (await docker(['network', 'inspect', '-f', '{{(index .IPAM.Config 0).Subnet}}', network])).trim();
      const t = await startTarget(inject('fixtures').exitsAtOnce);
      cleanups.push(() => removeTarget(t.id));
      await waitExited(t.id);
      const result = await runCli(['exec', '--copy', '--network', network, t.name, '--', 'ip', '-o', '-4', 'addr']);
      expect(result.code).toBe(0);
      expect(result.stdout.toString()).toContain(` inet ${subnet.split('.').slice(0, 3).join('.')}.`);
    });

    it('refuses --network without --copy: a sidekick shares the target\'s network', async () => {
      const result = await runCli(['exec', '--network', 'none', 'whatever', '--', 'true']);
      expect(result.code).toBe(125);
      expect(result.stderr).toMatch(/^sidekick: --network applies only to copies/);
    });
  });
});

function runInBackground(args: string[]): ReturnType<typeof spawn> {
  return spawn(process.execPath, [CLI_PATH, ...args], { cwd: REPO_ROOT, stdio: ['pipe', 'ignore', 'ignore'] });
}

async function waitGone(name: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (lines(await docker(['ps', '-aq', '--filter', `name=^/${name}$`])).length > 0) {
    if (Date.now() > deadline) throw new Error(`${name} still there after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Runs the built command as an executable, through its own first line, as the installed `sidekick` runs. */
function runExecutable(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
