/**
 * `inspect` and `ps` answer an on-call engineer's questions (issue 11), each case against a
 * target built here that reproduces it.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { InspectReport } from '../../src/debug/inspect-report.js';
import type { ProcessListing } from '../../src/debug/list-processes.js';
import { docker } from '../fixtures/docker-cli.js';
import { ensureExpertImage } from '../fixtures/expert-fixtures.js';
import { removeTarget, runCli, startTarget, type TestTarget } from './harness.js';
import { expectNoSidekicksFor } from './own-sidekicks.js';

const GITHUB_PAT = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const WEBHOOK = 'https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXX';
/** Polls `docker inspect -f FORMAT` until it prints `expected`. */
async function waitForState(id: string, format: string, expected: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = (await docker(['inspect', '-f', format, id])).trim();
    if (value === expected) return;
    if (Date.now() > deadline) throw new Error(`${format} of ${id} is ${value}, not ${expected}, after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function waitForLog(id: string, text: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await docker(['logs', id])).includes(text)) {
    if (Date.now() > deadline) throw new Error(`${id} never logged ${text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const PLAIN_SECRETS = ['apikey-value-1', 'hunter2-value', 'S3cretPw', 'mysql-pwd-value'];

describe('sidekick inspect and ps, for an expert', () => {
  const targets: TestTarget[] = [];
  afterEach(async () => {
    for (const target of targets.splice(0)) await removeTarget(target.id);
  });
  const start = async (...args: Parameters<typeof startTarget>): Promise<TestTarget> => {
    const target = await startTarget(...args);
    targets.push(target);
    return target;
  };

  it('masks secrets in argv, by name and by shape, in text and JSON, in inspect and ps; --show-secrets shows them', async () => {
    const target = await start(inject('fixtures').distroless, {
      env: { MYSQL_PWD: 'mysql-pwd-value', GITHUB_PAT, SLACK_WEBHOOK_URL: WEBHOOK, UPSTREAM_INFO: JWT, GREETING: 'hello' },
      // The image's ENTRYPOINT is the server; these become its argv (it ignores them).
      command: ['--api-key=apikey-value-1', '--password', 'hunter2-value', '-pS3cretPw', `--auth-header=${JWT}`, '--port', '8080'],
    });
    const secrets = [...PLAIN_SECRETS, GITHUB_PAT, JWT, WEBHOOK];
    const outputs = await Promise.all([
      runCli(['inspect', target.name]),
      runCli(['inspect', '--json', target.name]),
      runCli(['ps', target.name]),
      runCli(['ps', '--json', target.name]),
    ]);
    for (const output of outputs) {
      expect(output.code).toBe(0);
      for (const secret of secrets) expect(output.stdout.toString()).not.toContain(secret);
    }
    const report = JSON.parse(outputs[1].stdout.toString()) as InspectReport;
    expect(report.pid1!.commandLine).toEqual(['/app/server', '--api-key=********', '--password', '********', '-p********', '--auth-header=********', '--port', '8080']);
    const env = Object.fromEntries(report.environment!.map((variable) => [variable.name, variable]));
    for (const name of ['MYSQL_PWD', 'GITHUB_PAT', 'SLACK_WEBHOOK_URL', 'UPSTREAM_INFO']) expect(env[name]?.masked, name).toBe(true);
    expect(env.GREETING).toMatchObject({ value: 'hello', masked: false });
    const ps = JSON.parse(outputs[3].stdout.toString()) as ProcessListing;
    expect(ps.processes[0]!.command).toContain('--api-key=********');
    expect(outputs[2].stdout.toString()).toContain('--password ******** -p********');

    const shown = await Promise.all([runCli(['inspect', '--show-secrets', '--json', target.name]), runCli(['ps', '--show-secrets', target.name])]);
    for (const secret of secrets) expect(shown[0].stdout.toString()).toContain(secret);
    expect(shown[1].stdout.toString()).toContain('--password hunter2-value -pS3cretPw');
    await expectNoSidekicksFor(target.id);
  });

  it('shows the configured environment of a program that overwrote its own, and says which one is shown', async () => {
    const image = await ensureExpertImage();
    const target = await start(image, { command: ['scrub'], env: { MY_SETTING: 'on', DB_PASSWORD: 'scrubbed-secret' } });
    await waitForLog(target.id, 'environment scrubbed');
    const result = await runCli(['inspect', '--json', target.name]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout.toString()) as InspectReport;
    expect(report.environmentSource).toBe('configured');
    expect(report.environmentNote).toMatch(/configured environment: \/proc\/1\/environ holds no variable/);
    const env = Object.fromEntries(report.environment!.map((variable) => [variable.name, variable]));
    expect(env.MY_SETTING).toMatchObject({ value: 'on', masked: false });
    expect(env.CONFIGURED_GREETING).toMatchObject({ value: 'hello' });
    expect(env.DB_PASSWORD).toMatchObject({ value: '********', masked: true });
    expect(report.problems.join('\n')).not.toMatch(/empty entries/);
    const text = (await runCli(['inspect', target.name])).stdout.toString();
    expect(text).toContain('Environment (configured by the engine)');
    expect(text).toContain('MY_SETTING=on');
    await expectNoSidekicksFor(target.id);
  });

  it('says what matters about an exited target: exit code, restarts and policy, finish time, last log lines, configured command and env', async () => {
    const image = await ensureExpertImage();
    const target = await start(image, { command: ['log-exit', '7'], env: { MY_SETTING: 'on' }, dockerArgs: ['--restart', 'on-failure:2'] });
    await waitForState(target.id, '{{.State.Status}} {{.RestartCount}}', 'exited 2');
    const result = await runCli(['inspect', '--json', target.name]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout.toString()) as InspectReport;
    expect(report.identity).toMatchObject({ state: 'exited', exitCode: 7, restarts: 2, restartPolicy: 'on-failure:2', oomKilled: false });
    expect(Date.parse(report.identity.finishedAt!)).toBeGreaterThan(Date.parse(report.identity.created));
    expect(report.configured).toMatchObject({ entrypoint: ['/expert-target'], command: ['log-exit', '7'] });
    expect(report.lastLogLines).toContain('expert-target: log line 5');
    expect(report.environment).toEqual(expect.arrayContaining([{ name: 'MY_SETTING', value: 'on', masked: false }]));
    expect(report.environmentSource).toBe('configured');
    const text = (await runCli(['inspect', target.name])).stdout.toString();
    expect(text).toMatch(/exit code\s+7/);
    expect(text).toMatch(/restart policy\s+on-failure:2/);
    expect(text).toMatch(/command\s+\["log-exit","7"\]/);
    expect(text).toMatch(/Last \d+ log lines\n(.*\n)* {2}expert-target: log line 5\n/);
    // Not a table of unknown namespaces.
    expect(text).not.toMatch(/KIND\s+ID\s+HOST/);
  });

  it('says a target was ended by the OOM killer', async () => {
    const image = await ensureExpertImage();
    const target = await start(image, { command: ['oom'], dockerArgs: ['--memory', '16m', '--memory-swap', '16m'] });
    await waitForState(target.id, '{{.State.Status}}', 'exited');
    // Docker 20.10 (cgroup v1) sets OOMKilled from an event that can come after the exit is
    // recorded, or not at all: sidekick can only say what the engine knows, so the witness is
    // the engine's own flag, once it has had time to settle.
    let engineSays = 'false';
    for (let i = 0; i < 50 && engineSays !== 'true'; i++) {
      engineSays = (await docker(['inspect', '-f', '{{.State.OOMKilled}}', target.id])).trim();
      if (engineSays !== 'true') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const report = JSON.parse((await runCli(['inspect', '--json', target.name])).stdout.toString()) as InspectReport;
    expect(report.identity).toMatchObject({ oomKilled: engineSays === 'true', exitCode: 137 });
    expect((await runCli(['inspect', target.name])).stdout.toString()).toMatch(engineSays === 'true' ? /OOM killed\s+YES/ : /OOM killed\s+no/);
  });

  it('names volumes and bind sources, hides the runtime mounts, marks the engine DNS, describes the application under --init, leaves mounts out of "largest"', async () => {
    const image = await ensureExpertImage();
    const suffix = randomBytes(4).toString('hex');
    const volume = `sidekick-test-vol-${suffix}`;
    const network = `sidekick-test-net-${suffix}`;
    const bind = await mkdtemp(path.join(tmpdir(), 'sidekick-inspect-bind-'));
    await writeFile(path.join(bind, 'large'), Buffer.alloc(8 * 1024 * 1024, 1));
    await docker(['volume', 'create', '--label', 'io.sidekick.test=1', volume]);
    await docker(['network', 'create', '--label', 'io.sidekick.test=1', network]);
    try {
      const target = await start(image, { command: ['files'], dockerArgs: ['--init', '--network', network, '-v', `${volume}:/data`, '-v', `${bind}:/bind:ro`] });
      await waitForLog(target.id, 'files open');
      const report = JSON.parse((await runCli(['inspect', '--json', target.name])).stdout.toString()) as InspectReport;
      const mount = (destination: string): InspectReport['mounts'][number] | undefined => report.mounts.find((entry) => entry.destination === destination);
      expect(mount('/data')).toMatchObject({ source: volume, type: 'volume', readOnly: false });
      expect(mount('/bind')).toMatchObject({ source: bind, type: 'bind', readOnly: true });
      // JSON keeps the runtime's standard mounts, marked.
      expect(report.mounts.filter((entry) => entry.standard).length).toBeGreaterThanOrEqual(10);
      expect(mount('/proc')).toMatchObject({ standard: true });
      const dns = report.sockets!.inet.filter((socket) => socket.local === '127.0.0.11');
      expect(dns.length).toBeGreaterThan(0);
      for (const socket of dns) expect(socket.engineDns).toBe(true);
      expect(report.pid1!.commandLine[0]).toBe('/sbin/docker-init');
      expect(report.application).toMatchObject({ commandLine: ['/expert-target', 'files'], uid: 0 });
      expect(report.application!.pid).not.toBe(1);
      const largest = report.filesystem!.largestTopLevel.map((entry) => entry.path);
      expect(largest).toContain('/expert-target');
      expect(largest).not.toContain('/bind');

      const text = (await runCli(['inspect', target.name])).stdout.toString();
      expect(text).toMatch(new RegExp(`/data\\s+volume\\s+rw\\s+${volume}`));
      expect(text).not.toMatch(/^ {2}\/proc\b/m);
      expect(text).toMatch(/standard \/proc, \/sys and \/dev mounts of the runtime not shown: --all-mounts/);
      expect(text).toMatch(/127\.0\.0\.11:\d+\s+\*\s+\(the engine's DNS\)/);
      expect(text).toMatch(/0\.0\.0\.0:7070\s+\*\s+\d+\/expert-target/);
      expect(text).toMatch(/Application \(PID \d+, under the init above\)\n {2}command\s+\["\/expert-target","files"\]/);
      const all = (await runCli(['inspect', '--all-mounts', target.name])).stdout.toString();
      expect(all).toMatch(/^ {2}\/proc\s+proc/m);
      await expectNoSidekicksFor(target.id);
    } finally {
      // The network and the volume can go only once the target has.
      for (const target of targets.splice(0)) await removeTarget(target.id);
      await docker(['network', 'rm', network]).catch(() => undefined);
      await docker(['volume', 'rm', volume]).catch(() => undefined);
      await rm(bind, { recursive: true, force: true });
    }
  });

  it('says what each process holds open, the rlimits, addresses and routes, health, the image age; ps gives threads, state and CPU time', async () => {
    const image = await ensureExpertImage();
    // A check that cannot run in a FROM scratch target: the health is "unhealthy", with the engine's output.
    const target = await start(image, {
      command: ['files'],
      dockerArgs: ['--ulimit', 'nofile=1024:2048', '--health-cmd', 'check-queue', '--health-interval', '1s', '--health-retries', '1'],
    });
    await waitForLog(target.id, 'files open');
    await waitForState(target.id, '{{.State.Health.Status}}', 'unhealthy');
    const report = JSON.parse((await runCli(['inspect', '--json', target.name])).stdout.toString()) as InspectReport;
    expect(report.rlimits!.nofile).toEqual({ soft: '1024', hard: '2048' });
    const files = report.openFiles!.find((entry) => entry.pid === 1)!;
    expect(files).toMatchObject({ name: 'expert-target', sockets: 1, deleted: ['/tmp/deleted-but-open.log'] });
    expect(files.count).toBeGreaterThanOrEqual(5);
    const address = (await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}/{{.NetworkSettings.IPPrefixLen}} {{.NetworkSettings.Gateway}}', target.id])).trim().split(' ');
    expect(report.network!.addresses).toEqual([expect.objectContaining({ network: 'bridge', ipv4: address[0], gateway: address[1] })]);
    expect(report.network!.routes).toEqual(expect.arrayContaining([{ destination: 'default', gateway: address[1], interface: 'eth0' }]));
    expect(report.health).toMatchObject({ status: 'unhealthy' });
    expect(report.health!.failingStreak).toBeGreaterThanOrEqual(1);
    expect(report.health!.lastOutput).toMatch(/\/bin\/sh/);
    expect(Date.parse(report.identity.imageCreated!)).toBeLessThanOrEqual(Date.now());

    const text = (await runCli(['inspect', target.name])).stdout.toString();
    expect(text).toMatch(/rlimits\s+nofile 1024:2048/);
    expect(text).toMatch(/^ {2}1\s+expert-target\s+\d+\s+1\s+\d+\s+\d+\s+\/tmp\/deleted-but-open\.log$/m);
    expect(text).toMatch(/route\s+default via \S+ dev eth0/);
    expect(text).toMatch(/health\s+unhealthy/);
    expect(text).toMatch(/image\s+\S+ \(built \S+, .* ago\)/);

    const ps = JSON.parse((await runCli(['ps', '--json', target.name])).stdout.toString()) as ProcessListing;
    expect(ps.processes[0]).toMatchObject({ pid: 1, threads: 1, state: 'S' });
    expect(typeof ps.processes[0]!.cpuSeconds).toBe('number');
    expect((await runCli(['ps', target.name])).stdout.toString()).toMatch(/^1\s+0\s+0\s+S\s+\S+ [KM]iB\s+1\s+\d+:\d\d\.\d\d\s/m);
    await expectNoSidekicksFor(target.id);
  });
});
