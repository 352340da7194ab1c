import { afterEach, describe, expect, inject, it } from 'vitest';
import type { ContainerRow } from '../../src/debug/inspect-all.js';
import type { InspectReport } from '../../src/debug/inspect-report.js';
import { docker, lines } from '../fixtures/docker-cli.js';
import { expectUntouched, removeTarget, runCli, snapshotTarget, startTarget, waitExited, waitForHttp, type TestTarget } from './harness.js';
import { expectNoSidekicksFor, startBackgroundSidekick } from './own-sidekicks.js';

interface Peer {
  id: string;
  name: string;
  sidekickKind?: string;
}

describe('sidekick inspect', () => {
  const targets: TestTarget[] = [];
  afterEach(async () => {
    for (const target of targets.splice(0)) await removeTarget(target.id);
  });
  const start = async (...args: Parameters<typeof startTarget>): Promise<TestTarget> => {
    const target = await startTarget(...args);
    targets.push(target);
    return target;
  };

  async function inspectJson(args: string[]): Promise<InspectReport> {
    const result = await runCli(['inspect', '--json', ...args]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout.toString('utf8'));
  }

  it('shows the scratch server: its listening ports with their owner, masked secrets, no shell', async () => {
    const { scratchServer } = inject('fixtures');
    const target = await start(scratchServer);
    await waitForHttp(target.ip, 8080);
    const before = await snapshotTarget(target.id);

    const report = await inspectJson([target.name]);
    expect(report.identity).toMatchObject({ name: target.name, id: target.id, image: scratchServer, state: 'running', restarts: 0 });
    expect(report.pid1).toMatchObject({ pid: 1, commandLine: ['/server'], executable: '/server', workingDirectory: '/', hostPid: before.hostPid });
    const listening = report.sockets!.inet.filter((socket) => socket.listening);
    expect(listening).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ protocol: 'tcp', local: '0.0.0.0', localPort: 8080, state: 'LISTEN', owners: [{ pid: 1, name: 'server' }] }),
        expect.objectContaining({ protocol: 'tcp', local: '127.0.0.1', localPort: 9090, state: 'LISTEN', owners: [{ pid: 1, name: 'server' }] }),
      ]),
    );
    const env = Object.fromEntries(report.environment!.map((v) => [v.name, v]));
    expect(env.API_TOKEN).toEqual({ name: 'API_TOKEN', value: '********', masked: true });
    expect(env.GREETING).toEqual({ name: 'GREETING', value: 'hello', masked: false });
    expect(JSON.stringify(report)).not.toContain('s3cr3t-value');
    expect(report.user).toMatchObject({ uid: { real: 0, effective: 0 }, userName: null });
    expect(report.security).toMatchObject({ privileged: false, seccomp: 'filter' });
    expect(report.security.capabilities!.addedToDockerDefault).toEqual([]);
    expect(report.security.capabilities!.effective).toContain('CAP_NET_BIND_SERVICE');
    expect(report.filesystem).toMatchObject({ kind: 'scratch', shells: [], osRelease: null });
    expect(report.readOnlyRootfs).toBe(false);
    expect(report.mounts).toEqual(expect.arrayContaining([expect.objectContaining({ destination: '/', readOnly: false })]));
    expect(report.limits!.pids.current).toBeGreaterThanOrEqual(1);
    const kinds = report.namespaces.map((ns) => ns.kind);
    expect(kinds).toEqual(['net', 'pid', 'ipc', 'uts', 'mnt', 'user', 'cgroup']);
    expect(report.namespaces.find((ns) => ns.kind === 'net')).toMatchObject({ host: false, sharedWith: [] });

    const shown = await runCli(['inspect', '--show-secrets', '--json', target.id.slice(0, 12)]);
    expect(JSON.parse(shown.stdout.toString()).environment).toEqual(expect.arrayContaining([{ name: 'API_TOKEN', value: 's3cr3t-value', masked: false }]));

    const human = await runCli(['inspect', target.name]);
    expect(human.code).toBe(0);
    const text = human.stdout.toString();
    expect(text).toContain('API_TOKEN=********');
    expect(text).not.toContain('s3cr3t-value');
    expect(text).toMatch(/tcp\s+LISTEN\s+0\.0\.0\.0:8080\s+\*\s+1\/server/);
    expect(text).toMatch(/looks like\s+scratch/);

    await expectUntouched(before, target.id);
    await expectNoSidekicksFor(target.id);
  });

  it("names the distroless target's user 65532 from its own /etc/passwd", async () => {
    const { distroless } = inject('fixtures');
    const target = await start(distroless);
    await waitForHttp(target.ip, 8080);
    const before = await snapshotTarget(target.id);

    const report = await inspectJson([target.name]);
    expect(report.user).toEqual({
      uid: { real: 65532, effective: 65532, savedSet: 65532, filesystem: 65532 },
      gid: { real: 65532, effective: 65532, savedSet: 65532, filesystem: 65532 },
      userName: 'nonroot',
      groupName: 'nonroot',
      groups: [{ gid: 65532, name: 'nonroot' }],
    });
    expect(report.pid1).toMatchObject({ commandLine: ['/app/server'], workingDirectory: '/home/nonroot' });
    expect(report.filesystem!.kind).toBe('distroless');
    expect(report.filesystem!.shells).toEqual([]);
    expect(report.security.capabilities!.effective).toEqual([]);
    const human = (await runCli(['inspect', target.name])).stdout.toString();
    expect(human).toMatch(/uid\s+65532 \(nonroot\)/);

    await expectUntouched(before, target.id);
    await expectNoSidekicksFor(target.id);
  });

  it('reports a read-only root filesystem and the limits with their usage', async () => {
    const { scratchServer } = inject('fixtures');
    const target = await start(scratchServer, { readOnly: true, dockerArgs: ['--memory', '64m', '--pids-limit', '50', '--cpus', '0.5'] });
    await waitForHttp(target.ip, 8080);
    const before = await snapshotTarget(target.id);

    const report = await inspectJson([target.name]);
    expect(report.readOnlyRootfs).toBe(true);
    expect(report.mounts).toEqual(expect.arrayContaining([expect.objectContaining({ destination: '/', readOnly: true })]));
    expect(report.limits).toMatchObject({ memory: { limitBytes: 64 * 1024 * 1024 }, cpu: { limitCpus: 0.5 }, pids: { limit: 50 } });
    expect(report.limits!.memory.usageBytes).toBeGreaterThan(0);
    expect(report.limits!.pids.current).toBeGreaterThanOrEqual(1);
    expect(report.engineLimits).toMatchObject({ memoryBytes: 64 * 1024 * 1024, nanoCpus: 500_000_000, pidsLimit: 50 });
    const text = (await runCli(['inspect', target.name])).stdout.toString();
    expect(text).toMatch(/root fs\s+read-only/);
    expect(text).toMatch(/memory\s+[\d.]+ [KM]iB used of 64\.0 MiB/);
    expect(text).toMatch(/pids\s+\d+ of 50/);

    await expectUntouched(before, target.id);
    await expectNoSidekicksFor(target.id);
  });

  it("shows a running sidekick as sharing the target's net and pid namespaces", async () => {
    const { scratchServer } = inject('fixtures');
    const target = await start(scratchServer);
    await waitForHttp(target.ip, 8080);
    const before = await snapshotTarget(target.id);
    const session = await startBackgroundSidekick(target.id);
    try {
      const report = await inspectJson([target.name]);
      const byKind = Object.fromEntries(report.namespaces.map((ns): [string, Peer[]] => [ns.kind, ns.sharedWith]));
      expect(byKind.net).toEqual([expect.objectContaining({ id: session.sidekickId, sidekickKind: 'sidekick' })]);
      expect(byKind.pid).toEqual([expect.objectContaining({ id: session.sidekickId, sidekickKind: 'sidekick' })]);
      expect(byKind.ipc).toEqual([]);
      // Its processes are in the target's PID namespace too, outside the target's root.
      expect(report.processCount).toBeGreaterThan(1);
      const text = (await runCli(['inspect', target.name])).stdout.toString();
      expect(text).toMatch(/net\s+\d+\s+no\s+\S+ \(sidekick\)/);
    } finally {
      await session.stop();
    }
    await expectUntouched(before, target.id);
    await expectNoSidekicksFor(target.id);
  });

  it('gives what the engine knows about a target that is not running', async () => {
    const { exitsAtOnce } = inject('fixtures');
    const target = await start(exitsAtOnce);
    await waitExited(target.id);
    const before = await snapshotTarget(target.id);

    const report = await inspectJson([target.name]);
    expect(report.identity).toMatchObject({ state: 'exited', exitCode: 3 });
    expect(report.pid1).toBeUndefined();
    expect(report.problems[0]).toMatch(/exited/);
    await expectUntouched(before, target.id);
    await expectNoSidekicksFor(target.id);
  });

  it('reads a paused target, whose processes are frozen but there', async () => {
    const { scratchServer } = inject('fixtures');
    const target = await start(scratchServer);
    await waitForHttp(target.ip, 8080);
    await docker(['pause', target.id]);
    const before = await snapshotTarget(target.id);
    const report = await inspectJson([target.name]);
    expect(report.identity.state).toBe('paused');
    expect(report.pid1?.commandLine).toEqual(['/server']);
    expect(report.problems[0]).toMatch(/paused/);
    const ps = await runCli(['ps', '--json', target.name]);
    expect(ps.code).toBe(0);
    expect(JSON.parse(ps.stdout.toString()).processes[0]).toMatchObject({ pid: 1, command: ['/server'] });
    await expectUntouched(before, target.id);
    await expectNoSidekicksFor(target.id);
  });

  it('fails clearly on an unknown target and on bad flags', async () => {
    const missing = await runCli(['inspect', 'no-such-container-xyz']);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toMatch(/^sidekick: no container named/);
    const both = await runCli(['inspect', '--all', 'x']);
    expect(both.code).toBe(125);
    expect(both.stderr).toMatch(/takes no TARGET/);
    const none = await runCli(['inspect']);
    expect(none.code).toBe(125);
  });

  it('inspect --all: a row per running container, read by one host-PID sidekick', async () => {
    const { scratchServer, distroless } = inject('fixtures');
    const scratch = await start(scratchServer);
    const nonroot = await start(distroless, { dockerArgs: ['--cap-add', 'NET_ADMIN'] });
    await waitForHttp(scratch.ip, 8080);
    await waitForHttp(nonroot.ip, 8080);
    const before = [await snapshotTarget(scratch.id), await snapshotTarget(nonroot.id)];

    const result = await runCli(['inspect', '--all', '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const rows: ContainerRow[] = JSON.parse(result.stdout.toString());
    const scratchRow = rows.find((row) => row.id === scratch.id);
    const nonrootRow = rows.find((row) => row.id === nonroot.id);
    expect(scratchRow).toMatchObject({ name: scratch.name, image: scratchServer, user: '0', shell: null, extraCapabilities: [], privileged: false });
    expect(scratchRow!.listening).toEqual(expect.arrayContaining(['tcp 0.0.0.0:8080', 'tcp 127.0.0.1:9090']));
    expect(nonrootRow).toMatchObject({ user: '65532 (nonroot)', uid: 65532, shell: null, extraCapabilities: ['NET_ADMIN'] });

    const table = await runCli(['inspect', '--all']);
    expect(table.code).toBe(0);
    const line = table.stdout.toString().split('\n').find((row) => row.startsWith(`${nonroot.name} `));
    expect(line).toMatch(/65532 \(nonroot\)\s+no\s+NET_ADMIN\s+.*tcp 0\.0\.0\.0:8080/);

    await expectUntouched(before[0]!, scratch.id);
    await expectUntouched(before[1]!, nonroot.id);
    // The --all sidekick serves no single target; it is the only kind of sidekick in the host PID namespace.
    const deadline = Date.now() + 10_000;
    let hostPid: string[] = [];
    do {
      const ids = lines(await docker(['ps', '-aq', '--filter', 'label=io.sidekick.kind=sidekick']));
      const modes = ids.length === 0 ? [] : lines(await docker(['inspect', '-f', '{{.Id}} {{.HostConfig.PidMode}}', ...ids]).catch(() => ''));
      hostPid = modes.filter((mode) => mode.endsWith(' host'));
      if (hostPid.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    } while (Date.now() < deadline);
    expect(hostPid).toEqual([]);
  });
});
