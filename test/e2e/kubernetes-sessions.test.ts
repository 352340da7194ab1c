/**
 * `sidekick sessions` and `sidekick prune` on a cluster (-n/--kubeconfig), end to end: the
 * built CLI against the control-plane double (test/kube-double/README.md: a test double of the
 * control plane only, backed by real Docker containers). sidekick's marks travel in each
 * ephemeral container's spec; an orphan (its client gone) is ended by prune, and its entry
 * stays in the pod's spec, as Kubernetes keeps every ephemeral container. The CLI gets its own
 * owner key (XDG_STATE_HOME), so it recognises only what these tests made as its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ownedSessionLabels } from '../../src/core/labels.js';
import { startTimeFromStat, type ClientId } from '../../src/core/ownership/client-id.js';
import { localClientHost } from '../../src/core/ownership/local-client.js';
import { signingKey } from '../../src/core/ownership/owner-key.js';
import { openKubernetesEngine } from '../../src/engines/kubernetes/open-kubernetes-engine.js';
import { docker } from '../fixtures/docker-cli.js';
import { DoubleWorld } from '../kube-double/double-world.js';
import type { DoublePod } from '../kube-double/pods.js';
import { defaultToolboxImage } from '../kube-double/test-client.js';
import { CLI_PATH, expectUntouched, runCli, snapshotTarget, type TargetSnapshot } from './harness.js';

const CASE_MS = 180_000;

interface SessionsJson {
  containers: Array<{ id: string; name: string; kind: string; session: string; target: string; status: string; client: string; owner: string; created: string }>;
  injections: unknown[];
}

describe('sidekick sessions and prune on a cluster (through the control-plane double)', () => {
  const world = new DoubleWorld('sidekick-kube-sessions');
  const pods: Array<{ pod: DoublePod; before: TargetSnapshot }> = [];
  const clients: ChildProcess[] = [];
  let kubeconfigPath: string | undefined;

  afterEach(async () => {
    try {
      for (const client of clients.splice(0)) {
        if (client.exitCode === null && client.signalCode === null) {
          client.kill('SIGKILL');
          await new Promise((resolve) => client.once('close', resolve));
        }
      }
      for (const { pod } of pods) await endRunningSidekicks(pod);
      for (const { pod } of pods) await waitForEphemeralsEnded(pod);
      for (const { pod, before } of pods.splice(0)) await expectUntouched(before, pod.containers.get('app')!);
    } finally {
      kubeconfigPath = undefined;
      await world.close();
    }
  });

  async function setUp(namespace = 'default'): Promise<{ pod: DoublePod; kubeconfig: string; cliEnv: Record<string, string>; key: Buffer }> {
    const kubeconfig = await world.kubeconfig();
    const dir = await world.dir();
    kubeconfigPath = kubeconfig;
    // Only this directory holds keys for the CLIs these tests run ("" is not a directory).
    const cliEnv = { XDG_STATE_HOME: join(dir, 'state'), XDG_RUNTIME_DIR: '', SIDEKICK_KUBE_TOOLBOX: await defaultToolboxImage() };
    const lookup = signingKey(cliEnv, '');
    if (lookup.key === undefined) throw new Error(`no owner key: ${lookup.problems.join('; ')}`);
    const pod = await world.pod(`sidekick-test-ss-${Date.now().toString(36)}`, [{ name: 'app', image: inject('fixtures').scratchServer }], { namespace });
    pods.push({ pod, before: await snapshotTarget(pod.containers.get('app')!) });
    return { pod, kubeconfig, cliEnv, key: lookup.key };
  }

  /** The pod's ephemeral containers as the double's Docker containers show them: name and state. */
  async function ephemeralsOf(pod: DoublePod): Promise<string[]> {
    const out = await docker(['ps', '-a', '--filter', `label=io.sidekick.kube-double.pod=${pod.namespace}/${pod.name}`, '--filter', 'label=io.sidekick.kube-double.role=ephemeral', '--format', '{{.Label "io.sidekick.kube-double.container"}} {{.State}}']);
    return out.split('\n').filter((line) => line !== '').sort();
  }

  async function waitForEphemeralsEnded(pod: DoublePod): Promise<void> {
    for (const deadline = Date.now() + 60_000; ; ) {
      const states = await ephemeralsOf(pod);
      if (states.every((line) => / (exited|created)$/.test(line))) return;
      if (Date.now() > deadline) throw new Error(`sidekicks still running: ${states.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  /**
   * A case that failed midway may leave a session running: it is ended as prune ends one (its
   * session shell ends its processes), never by removing its container, which would leave them
   * to the target's PID 1 as zombies.
   */
  async function endRunningSidekicks(pod: DoublePod): Promise<void> {
    const running = (await ephemeralsOf(pod)).filter((line) => line.endsWith(' running')).map((line) => line.split(' ')[0]!);
    if (running.length === 0 || kubeconfigPath === undefined) return;
    const engine = openKubernetesEngine({ kubeconfig: kubeconfigPath }, process.env);
    try {
      await Promise.all(running.map((name) => engine.stopContainer(`${pod.namespace}/${pod.name}/${name}`, { graceSeconds: 10 })));
    } finally {
      engine.close();
    }
  }

  /** The id of a client that has ended: its pid no longer runs this process. */
  async function deadClient(): Promise<ClientId> {
    const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
    const stat = await readFile(`/proc/${child.pid!}/stat`, 'utf8');
    const client = { ...localClientHost(), pid: child.pid!, startTime: startTimeFromStat(stat)! };
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    return client;
  }

  /**
   * An orphan: a sidekick made by the engine as a session makes one, marked with this CLI's key,
   * whose client is gone and whose process still runs (a session whose guard could not end it).
   */
  async function orphan(pod: DoublePod, kubeconfig: string, key: Buffer): Promise<{ name: string; session: string }> {
    const engine = openKubernetesEngine({ kubeconfig }, process.env);
    const session = `orphan${randomBytes(3).toString('hex')}`;
    const target = `${pod.namespace}/${pod.name}/app`;
    const labels = ownedSessionLabels({ session, kind: 'sidekick', target, created: new Date(Date.now() - 600_000) }, { key, client: await deadClient() });
    const { id, process: running } = await engine.runSidekick({
      image: await defaultToolboxImage(),
      command: ['sleep', '600'],
      env: [],
      tty: false,
      openStdin: false,
      labels,
      capAdd: [],
      privileged: false,
      autoRemove: true,
      target: { id: target, joinIpc: true },
    });
    running.exit.catch(() => undefined);
    running.detach();
    engine.close();
    return { name: id.split('/')[2]!, session };
  }

  /** A live session: `sidekick exec` whose command sleeps, started in the background. */
  async function liveSession(pod: DoublePod, kubeconfig: string, cliEnv: Record<string, string>): Promise<ChildProcess> {
    const client = spawn(process.execPath, [CLI_PATH, 'exec', '--kubeconfig', kubeconfig, `pod/${pod.name}/app`, '--', 'sh', '-c', 'echo ready; sleep 600'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...cliEnv },
    });
    clients.push(client);
    let output = '';
    client.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    client.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (const deadline = Date.now() + 120_000; !output.includes('ready'); ) {
      if (Date.now() > deadline || client.exitCode !== null) throw new Error(`the session did not start: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return client;
  }

  it("lists the pods' running sidekicks with their clients, ends the orphan with prune (its entry stays in the pod's spec), and keeps the live one", async () => {
    const { pod, kubeconfig, cliEnv, key } = await setUp();
    const lost = await orphan(pod, kubeconfig, key);
    const live = await liveSession(pod, kubeconfig, cliEnv);
    const before = await ephemeralsOf(pod);
    expect(before).toHaveLength(2);
    expect(before.every((line) => line.endsWith(' running'))).toBe(true);

    const listed = await runCli(['sessions', '--json', '--kubeconfig', kubeconfig], { env: cliEnv, timeoutMs: CASE_MS });
    expect({ code: listed.code, stderr: listed.stderr }).toEqual({ code: 0, stderr: '' });
    const report = JSON.parse(listed.stdout.toString()) as SessionsJson;
    expect(report.injections).toEqual([]);
    const rows = report.containers.map((c) => ({ name: c.name, kind: c.kind, status: c.status, client: c.client, owner: c.owner, target: c.target })).sort((a, b) => a.client.localeCompare(b.client));
    expect(rows).toEqual([
      { name: expect.stringMatching(new RegExp(`^pod/${pod.name}/sidekick-`)), kind: 'sidekick', status: 'running', client: 'alive', owner: 'mine', target: `default/${pod.name}/app` },
      { name: `pod/${pod.name}/${lost.name}`, kind: 'sidekick', status: 'running', client: 'dead', owner: 'mine', target: `default/${pod.name}/app` },
    ]);
    // Listing added nothing to the pod.
    expect(await ephemeralsOf(pod)).toEqual(before);

    const dryRun = await runCli(['prune', '--dry-run', '--kubeconfig', kubeconfig], { env: cliEnv, timeoutMs: CASE_MS });
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout.toString()).toMatch(new RegExp(`^would end container pod/${pod.name}/${lost.name} \\(sidekick, session ${lost.session}\\): orphan`, 'm'));
    expect(dryRun.stdout.toString()).toMatch(/^would keep container pod\/\S+ \(sidekick, session \S+\): live session of pid \d+/m);

    const pruned = await runCli(['prune', '--kubeconfig', kubeconfig], { env: cliEnv, timeoutMs: CASE_MS });
    expect({ code: pruned.code, stderr: pruned.stderr }).toEqual({ code: 0, stderr: '' });
    expect(pruned.stdout.toString()).toBe(
      `ended container pod/${pod.name}/${lost.name} (sidekick, session ${lost.session}); an ephemeral container cannot be removed: its entry stays in pod default/${pod.name}'s spec\n`,
    );
    const after = await ephemeralsOf(pod);
    expect(after).toContain(`${lost.name} exited`);
    expect(after.filter((line) => line.endsWith(' running'))).toHaveLength(1);
    expect(live.exitCode).toBeNull();

    const again = await runCli(['sessions', '--json', '--kubeconfig', kubeconfig], { env: cliEnv, timeoutMs: CASE_MS });
    expect((JSON.parse(again.stdout.toString()) as SessionsJson).containers.map((c) => c.client)).toEqual(['alive']);
    // Nothing more to prune: the ended one is a record of the pod, not a session.
    const nothing = await runCli(['prune', '--kubeconfig', kubeconfig], { env: cliEnv, timeoutMs: CASE_MS });
    expect(nothing.stdout.toString()).toBe('nothing to prune (1 kept; sidekick prune --dry-run says why)\n');
  }, CASE_MS);

  it('lists the lock (a Lease) of an inject killed with -9 as an orphan, prune deletes it, and eject removes what the inject had written', async () => {
    const { pod, kubeconfig, cliEnv } = await setUp();
    const target = `pod/${pod.name}/app`;
    const cli = spawn(process.execPath, [CLI_PATH, 'inject', '--kubeconfig', kubeconfig, target], { env: { ...process.env, ...cliEnv }, stdio: 'ignore' });
    clients.push(cli);
    // Frozen the moment its lock exists, then killed: as a CLI killed with -9 while it writes.
    for (const deadline = Date.now() + CASE_MS / 2; world.leases().length === 0; ) {
      if (cli.exitCode !== null || Date.now() > deadline) throw new Error(`inject never held a lock (exit ${cli.exitCode})`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    cli.kill('SIGSTOP');
    cli.kill('SIGKILL');
    await new Promise((resolve) => cli.once('close', resolve));
    const [lease] = world.leases();
    expect(lease?.name).toBe(`sidekick-inject-lock-${pod.name}.app`);

    const listed = await runCli(['sessions', '--json', '--kubeconfig', kubeconfig], { env: cliEnv, timeoutMs: CASE_MS });
    expect({ code: listed.code, stderr: listed.stderr }).toEqual({ code: 0, stderr: '' });
    const locks = (JSON.parse(listed.stdout.toString()) as SessionsJson).containers.filter((c) => c.kind === 'lock');
    expect(locks.map((c) => ({ name: c.name, client: c.client, owner: c.owner, target: c.target }))).toEqual([
      { name: `lease/${lease!.name}`, client: 'dead', owner: 'mine', target: `default/${pod.name}/app` },
    ]);
    const pruned = await runCli(['prune', '--kubeconfig', kubeconfig], { env: cliEnv, timeoutMs: CASE_MS });
    expect({ code: pruned.code, stderr: pruned.stderr }).toEqual({ code: 0, stderr: '' });
    expect(pruned.stdout.toString()).toMatch(new RegExp(`^removed container lease/${lease!.name} \\(lock, session \\S+\\)`, 'm'));
    expect(world.leases()).toEqual([]);
    // Whatever the killed inject had written is an interrupted injection, which eject removes.
    const ejected = await runCli(['eject', '--kubeconfig', kubeconfig, target], { env: cliEnv, timeoutMs: CASE_MS });
    expect(ejected.code, ejected.stderr).toBe(0);
    expect(world.leases()).toEqual([]);
  }, CASE_MS);

  it('leaves a command running with -d (listed as detached, kept by prune and, for its first minute, by prune --all), and refuses --keep in one line', async () => {
    const { pod, kubeconfig, cliEnv } = await setUp();
    const detached = await runCli(['exec', '-d', '--kubeconfig', kubeconfig, `pod/${pod.name}/app`, '--', 'sleep', '600'], { env: cliEnv, timeoutMs: CASE_MS });
    expect({ code: detached.code, stderr: detached.stderr }).toEqual({ code: 0, stderr: '' });
    const reference = detached.stdout.toString().trim();
    expect(reference).toMatch(new RegExp(`^pod/${pod.name}/sidekick-`));
    const name = reference.split('/')[2]!;
    expect(await ephemeralsOf(pod)).toEqual([`${name} running`]);
    // Its client has gone on purpose: still running a while later, listed as detached.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    expect(await ephemeralsOf(pod)).toEqual([`${name} running`]);
    const listed = await runCli(['sessions', '--kubeconfig', kubeconfig], { env: cliEnv, timeoutMs: CASE_MS });
    expect(listed.stdout.toString()).toMatch(new RegExp(`pod/${pod.name}/${name} .* running +dead \\(detached with -d\\)`));
    const kept = await runCli(['prune', '--kubeconfig', kubeconfig], { env: cliEnv, timeoutMs: CASE_MS });
    expect(kept.stdout.toString()).toBe('nothing to prune (1 kept; sidekick prune --dry-run says why)\n');
    expect(await ephemeralsOf(pod)).toEqual([`${name} running`]);
    // Even --all leaves a session younger than a minute (it may be starting). That --all then ends
    // it is the orphan case's path (an ephemeral container ended, not removed); waiting the
    // minute out here cost the suite a minute.
    const all = await runCli(['prune', '--all', '-f', '--kubeconfig', kubeconfig], { env: cliEnv, timeoutMs: CASE_MS });
    expect({ code: all.code, stderr: all.stderr }).toEqual({ code: 0, stderr: '' });
    expect(all.stdout.toString()).toBe('nothing to prune (1 kept; sidekick prune --dry-run says why)\n');
    expect(await ephemeralsOf(pod)).toEqual([`${name} running`]);

    const refused = await runCli(['exec', '--kubeconfig', kubeconfig, '--keep', `pod/${pod.name}/app`, '--', 'true'], { env: cliEnv });
    expect(refused.code).toBe(125);
    const [line, hint, rest] = refused.stderr.split('\n');
    expect(line).toMatch(/^sidekick: --keep cannot keep a sidekick in a pod/);
    expect(hint).toMatch(/^To leave a session running without this client, use -d/);
    expect(rest).toBe('');
    // Nothing more was added to the pod.
    expect(await ephemeralsOf(pod)).toHaveLength(1);
  }, CASE_MS);

  it('looks at one namespace (-n), or at every one with -A, where prune ends what it finds; -A beside -n is refused', async () => {
    const { pod, kubeconfig, cliEnv, key } = await setUp('team-b');
    const lost = await orphan(pod, kubeconfig, key);
    // The orphan's namespace is not the kubeconfig's (default), nor the one named.
    const listed = await runCli(['sessions', '--kubeconfig', kubeconfig, '-n', 'default'], { env: cliEnv });
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    expect(listed.stdout.toString()).toBe('no sidekick sessions or injections\n');
    const pruned = await runCli(['prune', '--kubeconfig', kubeconfig, '-n', 'elsewhere'], { env: cliEnv });
    expect(pruned).toMatchObject({ code: 0, stderr: '' });
    expect(pruned.stdout.toString()).toBe('nothing to prune\n');

    const everywhere = await runCli(['sessions', '-A', '--json', '--kubeconfig', kubeconfig], { env: cliEnv, timeoutMs: CASE_MS });
    expect({ code: everywhere.code, stderr: everywhere.stderr }).toEqual({ code: 0, stderr: '' });
    expect((JSON.parse(everywhere.stdout.toString()) as SessionsJson).containers.map((c) => ({ name: c.name, client: c.client, target: c.target }))).toEqual([
      { name: `team-b/pod/${pod.name}/${lost.name}`, client: 'dead', target: `team-b/${pod.name}/app` },
    ]);
    const refused = await runCli(['sessions', '-A', '-n', 'team-b', '--kubeconfig', kubeconfig], { env: cliEnv });
    expect({ code: refused.code, stderr: refused.stderr }).toEqual({
      code: 125,
      stderr: 'sidekick: -A/--all-namespaces looks at every namespace, and -n names one (team-b): give one or the other.\nDrop -n to look at every namespace, or -A to look at one.\n',
    });

    const prunedEverywhere = await runCli(['prune', '--all-namespaces', '--kubeconfig', kubeconfig], { env: cliEnv, timeoutMs: CASE_MS });
    expect({ code: prunedEverywhere.code, stderr: prunedEverywhere.stderr }).toEqual({ code: 0, stderr: '' });
    expect(prunedEverywhere.stdout.toString()).toBe(
      `ended container team-b/pod/${pod.name}/${lost.name} (sidekick, session ${lost.session}); an ephemeral container cannot be removed: its entry stays in pod team-b/${pod.name}'s spec\n`,
    );
    expect(await ephemeralsOf(pod)).toEqual([`${lost.name} exited`]);
  }, CASE_MS);
});
