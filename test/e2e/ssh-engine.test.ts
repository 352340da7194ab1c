/**
 * ssh:// engines for real: a private OpenSSH server on loopback (test/fixtures/ssh-server.ts)
 * whose login reaches the engine's socket. Every command is run as a user would run it with
 * `-H ssh://root@127.0.0.1:PORT`, and sshd's own log counts the connections it accepted: one
 * per command, however many API requests, streams and forwarded connections the command makes.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { docker, lines } from '../fixtures/docker-cli.js';
import { startSshServer, type SshServer } from '../fixtures/ssh-server.js';
import { CLI_PATH, REPO_ROOT, expectUntouched, httpGet, removeTarget, runCli, snapshotTarget, startTarget, waitForHttp, type CliResult, type TestTarget } from './harness.js';
import { expectNoSidekicks, waitForSidekick } from './sidekick-leftovers.js';
import { TmuxSession, waitForFile } from './tmux-session.js';

describe('an ssh:// engine through a real OpenSSH server', () => {
  let sshd: SshServer;
  let target: TestTarget;
  let work: string;
  const cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    sshd = await startSshServer();
    target = await startTarget(inject('fixtures').scratchServer);
    await waitForHttp(target.ip, 8080);
  });

  afterAll(async () => {
    await removeTarget(target.id);
    await sshd.stop();
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await rm(work, { recursive: true, force: true });
  });

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'sidekick-ssh-e2e-'));
  });

  /** Runs the CLI against the ssh:// engine and returns what it did with the number of SSH logins it took. */
  async function overSsh(args: string[], input?: string): Promise<CliResult & { logins: number }> {
    const before = await sshd.acceptedLogins();
    const result = await runCli(['-H', sshd.url, ...args], { env: sshd.env, ...(input !== undefined ? { input } : {}) });
    // No Node warning of any kind (docker-modem's own ssh transport prints DEP0170).
    expect(result.stderr).not.toMatch(/DeprecationWarning|ExperimentalWarning|\(node:\d+\)/);
    return { ...result, logins: (await sshd.acceptedLogins()) - before };
  }

  it('runs a command in a sidekick with stdin, output and exit status, over one SSH connection', async () => {
    const result = await overSsh(['exec', '-i', target.name, '--', 'sh', '-c', 'cat; cat /proc/1/cmdline; echo; wget -qO- http://127.0.0.1:8080/; exit 3'], 'from stdin\n');
    expect(result.stdout.toString()).toBe('from stdin\n/server\u0000\nhello from scratch\n');
    expect(result.code).toBe(3);
    // exec makes a dozen API requests (inspect, create, attach, start, wait, remove…): one login.
    expect(result.logins).toBe(1);
    await expectNoSidekicks(target.id);
  });

  it('gives an interactive shell on a terminal, over one SSH connection', async () => {
    const before = await sshd.acceptedLogins();
    const statusFile = join(work, 'status');
    const stderrFile = join(work, 'stderr');
    const env = Object.entries(sshd.env).map(([key, value]) => `${key}='${value}'`).join(' ');
    const tmux = await TmuxSession.start(`env ${env} node ${CLI_PATH} -H ${sshd.url} exec ${target.name} 2>${stderrFile}; echo "$?" > ${statusFile}; sleep 60`, 100, 30);
    cleanups.push(() => tmux.kill());
    await tmux.waitFor(/\[sidekick [^\]]+\] \/ #/);
    await tmux.type('echo $((6*7))', 'Enter');
    await tmux.waitFor(/^42$/m);
    await tmux.type('stty size', 'Enter');
    await tmux.waitFor(/^30 100$/m);
    await tmux.type('exit 4', 'Enter');
    expect(await waitForFile(statusFile)).toBe('4\n');
    expect(await readFile(stderrFile, 'utf8')).not.toMatch(/DeprecationWarning|\(node:\d+\)/);
    expect((await sshd.acceptedLogins()) - before).toBe(1);
    await expectNoSidekicks(target.id);
  });

  it('inspects a container over one SSH connection', async () => {
    const result = await overSsh(['inspect', '--json', target.name]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout.toString()) as { identity: { id: string }; pid1: { commandLine: string[] } };
    expect(report.identity.id).toBe(target.id);
    expect(report.pid1.commandLine).toEqual(['/server']);
    expect(result.logins).toBe(1);
    await expectNoSidekicks(target.id);
  });

  it('copies a file into the target and back, byte-exact, one SSH connection each way', async () => {
    const payload = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) & 0xff));
    await writeFile(join(work, 'payload.bin'), payload);
    const into = await overSsh(['cp', join(work, 'payload.bin'), `${target.name}:/tmp-payload.bin`]);
    expect(into.stderr).toBe('');
    expect(into.code).toBe(0);
    expect(into.logins).toBe(1);
    const back = await overSsh(['cp', `${target.name}:/tmp-payload.bin`, join(work, 'back.bin')]);
    expect(back.code).toBe(0);
    expect(back.logins).toBe(1);
    expect((await readFile(join(work, 'back.bin'))).equals(payload)).toBe(true);
  });

  it('injects the toolbox and ejects it without a trace, one SSH connection each', async () => {
    const fresh = await startTarget(inject('fixtures').scratchServer);
    cleanups.push(() => removeTarget(fresh.id));
    await waitForHttp(fresh.ip, 8080);
    const before = await snapshotTarget(fresh.id);
    const injected = await overSsh(['inject', fresh.name]);
    expect(injected.code).toBe(0);
    expect(injected.logins).toBe(1);
    expect(await docker(['exec', fresh.id, '/.sidekick/bin/sh', '-c', 'wget -qO- 127.0.0.1:8080'])).toBe('hello from scratch\n');
    const ejected = await overSsh(['eject', fresh.name]);
    expect(ejected.code).toBe(0);
    expect(ejected.stderr).toContain('removed the toolbox at /.sidekick');
    expect(ejected.logins).toBe(1);
    await expectUntouched(before, fresh.id);
  });

  it('forwards a port: many TCP connections, one SSH connection', async () => {
    const before = await sshd.acceptedLogins();
    const child = spawn(process.execPath, [CLI_PATH, '-H', sshd.url, 'port-forward', target.name, '0:8080'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...sshd.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exit;
    });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setInterval(() => {
        const found = /^Forwarding 127\.0\.0\.1:(\d+) -> /m.exec(stdout);
        if (found) {
          clearInterval(timer);
          resolve(Number(found[1]));
        } else if (child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`port-forward exited: ${stderr}`));
        }
      }, 50);
    });
    for (let round = 0; round < 3; round += 1) {
      const answers = await Promise.all(Array.from({ length: 4 }, () => httpGet('127.0.0.1', port, '/', 10_000)));
      for (const answer of answers) expect(answer).toEqual({ status: 200, body: 'hello from scratch\n' });
    }
    child.kill('SIGINT');
    expect(await exit).toBe(130);
    expect(stderr).not.toMatch(/DeprecationWarning|\(node:\d+\)/);
    expect((await sshd.acceptedLogins()) - before).toBe(1);
    await expectNoSidekicks(target.id, 15_000);
  });

  it('ends its SSH connection and removes its socket directory when it is killed with -9', async () => {
    const tunnels = async (): Promise<string[]> => (await readdir(tmpdir())).filter((name) => name.startsWith('sidekick-ssh-')).sort();
    const earlier = await tunnels();
    const child = spawn(process.execPath, [CLI_PATH, '-H', sshd.url, 'exec', target.name, '--', 'sleep', '300'], {
      cwd: REPO_ROOT,
      stdio: 'ignore',
      env: { ...process.env, ...sshd.env },
    });
    const exit = new Promise((resolve) => child.on('close', resolve));
    await waitForSidekick(target.id);
    expect((await tunnels()).filter((name) => !earlier.includes(name))).toHaveLength(1);
    child.kill('SIGKILL');
    await exit;
    const deadline = Date.now() + 10_000;
    while ((await tunnels()).some((name) => !earlier.includes(name)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await tunnels()).filter((name) => !earlier.includes(name))).toEqual([]);
    // sshd saw the client go: its session for that login ended.
    const log = await readFile(join(sshd.dir, 'sshd.log'), 'utf8');
    expect(lines(log).filter((line) => /^Disconnected from user root|^Connection closed by|^Received disconnect/.test(line)).length).toBeGreaterThan(0);
    await expectNoSidekicks(target.id, 15_000);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('cleans up over the same connection when %s reaches its whole process group (Ctrl-C, timeout)', async (signal, status) => {
    const before = await sshd.acceptedLogins();
    // A process group of its own, as a shell's job is: the signal goes to every process in it.
    const child = spawn(process.execPath, [CLI_PATH, '-H', sshd.url, 'exec', target.name, '--', 'sleep', '300'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...sshd.env },
      detached: true,
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exit;
    });
    await waitForSidekick(target.id);
    process.kill(-child.pid!, signal);
    expect(await exit).toBe(status);
    // The sidekick was removed through the engine, which needs the SSH connection to outlive the signal.
    await expectNoSidekicks(target.id, 2_000);
    expect(stderr).not.toMatch(/cannot reach|went away|unexpected/);
    expect((await sshd.acceptedLogins()) - before).toBe(1);
  });

  it("works when a LocalForward of the user's ssh config for that host cannot bind (its port held elsewhere)", async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => holder.close(() => resolve())));
    const held = (holder.address() as AddressInfo).port;
    const result = await runCli(['-H', sshd.url, 'inspect', '--json', target.name], {
      env: { ...sshd.env, SIDEKICK_SSH_COMMAND: `${sshd.sshCommand} -o "LocalForward=127.0.0.1:${held} 127.0.0.1:9"` },
    });
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout.toString()) as { identity: { id: string } }).identity.id).toBe(target.id);
  });

  it('says the SSH connection ended when the server cuts it in the middle of a command', async () => {
    const child = spawn(process.execPath, [CLI_PATH, '-H', sshd.url, 'exec', target.name, '--', 'sleep', '300'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...sshd.env },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    cleanups.push(async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exit;
    });
    await waitForSidekick(target.id);
    await sshd.cutConnections();
    expect(await exit).toBe(125);
    const said = lines(stderr);
    expect(said).toHaveLength(2);
    expect(said[0]).toBe(`sidekick: the SSH connection to the Docker engine at ${sshd.url} ended, or the engine went away (a connection closed in the middle of an answer).`);
    // The sidekick's attach stream ended with the connection: it goes by itself.
    await expectNoSidekicks(target.id, 15_000);
  });

  it('says in two lines what ssh said when the host key is unknown', async () => {
    const result = await runCli(['-H', sshd.url, 'exec', target.name, '--', 'true'], {
      env: { ...sshd.env, SIDEKICK_SSH_COMMAND: sshd.sshCommand.replace(/UserKnownHostsFile=\S+/, 'UserKnownHostsFile=/dev/null') },
    });
    expect(result.code).toBe(125);
    expect(result.stderr).toBe(
      `sidekick: cannot reach the Docker engine at ${sshd.url} (--host): ssh: Host key verification failed.\n` +
        `Check that \`ssh -p ${sshd.port} -l root 127.0.0.1\` logs in without a question (known_hosts, key or agent); ssh reads ~/.ssh/config, or set SIDEKICK_SSH_COMMAND.\n`,
    );
    await expectNoSidekicks(target.id);
  });

  it('says which socket the server could not reach when the engine is not where it was looked for', async () => {
    const result = await runCli(['-H', `${sshd.url}/run/sidekick-no-engine.sock`, 'inspect', target.name], { env: sshd.env });
    expect(result.code).toBe(125);
    const said = lines(result.stderr);
    expect(said).toHaveLength(2);
    expect(said[0]).toMatch(/^sidekick: cannot reach the Docker engine at ssh:\/\/\S+ \(--host\): the SSH server could not connect to \/run\/sidekick-no-engine\.sock \(.*open failed.*\)\.$/);
  });
});
