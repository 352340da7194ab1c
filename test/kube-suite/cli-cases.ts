/**
 * The command line on pod targets, end to end with the built CLI, written once and run against
 * two kinds of cluster (issue 14, "Testing it honestly"): the control-plane double backed by
 * Docker (test/e2e/kubernetes-cli-cases.test.ts, always) and a real cluster when KUBECONFIG is
 * set (test/e2e/kubernetes-cluster-cli.test.ts). A case asserts only what a real cluster does
 * too, and reads the pods' states through the API, as kubectl would.
 */
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { containerState, type PodJson } from '../../src/engines/kubernetes/ephemeral-container.js';
import { KubeApi } from '../../src/engines/kubernetes/kube-api.js';
import type { KubeContext } from '../../src/engines/kubernetes/kube-config.js';
import { CLI_PATH, runCli } from '../e2e/harness.js';
import { tinyRootfs } from '../fixtures/tiny-rootfs.js';

export interface CliClusterProvider {
  /** What the CLI is given to reach the cluster (`--kubeconfig F`, `-n NS`…), and its environment. */
  cli(): Promise<{ args: string[]; env: Record<string, string> }>;
  /** The same cluster and namespace, for reading pods through the API. */
  kube(): Promise<KubeContext>;
  /** Creates pod NAME with one container `app` (a long-running server) and waits until it runs. */
  createPod(name: string): Promise<void>;
  deletePod(name: string): Promise<void>;
  /**
   * Takes what must not change in the original's container (its process, restarts, files as
   * far as the provider can see them); the returned function checks it after the case.
   */
  untouched(pod: string): Promise<() => Promise<void>>;
  /** A name at the root of the app's image, which the chroot view must show. */
  rootEntry: string;
  /** What the app's /proc/1/cmdline holds (a pattern). */
  serverCommand: RegExp;
  /** What a deleted copy may have left outside the API's view (the double's Docker volumes); empty when nothing. */
  leftovers(): Promise<string[]>;
  cleanup(): Promise<void>;
}

/** An ephemeral container or a copy is an image start and several API round trips; a real cluster's pull makes that minutes. */
const CASE_MS = 300_000;
const COPY_KIND_SELECTOR = 'io.sidekick.kind=copy';
const TARGET_ANNOTATION = 'io.sidekick.target';

export function kubernetesCliCases(provider: CliClusterProvider): void {
  const pods: Array<{ name: string; check: () => Promise<void> }> = [];
  const clients: Array<ReturnType<typeof spawn>> = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.kill('SIGKILL');
    const api = new KubeApi(await provider.kube());
    const namespace = (await provider.kube()).namespace;
    try {
      for (const { check } of pods) await check();
    } finally {
      // Copies a failed case left, then the originals.
      const names = new Set(pods.map((p) => `${namespace}/${p.name}/`));
      for (const copy of await copiesOf(api, namespace, names)) await api.deletePod(namespace, copy, 0);
      for (const { name } of pods.splice(0)) await provider.deletePod(name);
      await provider.cleanup();
    }
  });

  async function pod(): Promise<{ name: string; cli: { args: string[]; env: Record<string, string> }; api: KubeApi; namespace: string }> {
    const name = `sidekick-test-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
    await provider.createPod(name);
    pods.push({ name, check: await provider.untouched(name) });
    const kube = await provider.kube();
    return { name, cli: await provider.cli(), api: new KubeApi(kube), namespace: kube.namespace };
  }

  /** Starts the CLI in the background and resolves once it printed `ready`. */
  async function startUntilReady(args: string[], env: Record<string, string>): Promise<ReturnType<typeof spawn>> {
    const client = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    clients.push(client);
    let output = '';
    client.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    client.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (const deadline = Date.now() + 240_000; !output.includes('ready'); ) {
      if (Date.now() > deadline || client.exitCode !== null) throw new Error(`the session did not start: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return client;
  }

  it('exec: the target\'s root and process, stdin and the exit status; the ephemeral sidekick has ended after', async () => {
    const { name, cli, api, namespace } = await pod();
    const script = 'echo root: $(ls /); echo "pid1: $(tr "\\0" " " </proc/1/cmdline)"; read -r line; echo "in: $line"; exit 7';
    const result = await runCli(['exec', '-i', ...cli.args, `pod/${name}/app`, '--', 'sh', '-c', script], { env: cli.env, input: 'hello\n', timeoutMs: CASE_MS });
    const out = result.stdout.toString();
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 7, stderr: '' });
    expect(out).toMatch(new RegExp(`^root: .*\\b${provider.rootEntry}\\b`, 'm'));
    expect(out).toMatch(new RegExp(`^pid1: .*${provider.serverCommand.source}`, 'm'));
    expect(out).toMatch(/^in: hello$/m);
    const sidekicks = ephemeralStates(await api.readPod(namespace, name));
    // Named so that `kubectl describe pod` says what it is: sidekick-<the target>-<6 characters>.
    expect(sidekicks).toEqual([{ name: expect.stringMatching(new RegExp(`^sidekick-pod-${name}-app-[0-9a-z]+$`)), state: 'terminated' }]);
  }, CASE_MS);

  it('exec: a kill -9 of the CLI ends the session in the pod (the lease)', async () => {
    const { name, cli, api, namespace } = await pod();
    const client = await startUntilReady(['exec', ...cli.args, `pod/${name}/app`, '--', 'sh', '-c', 'echo ready; sleep 600'], cli.env);
    client.kill('SIGKILL');
    await waitUntil(async () => ephemeralStates(await api.readPod(namespace, name)).every((s) => s.state === 'terminated'), 60_000, 'the sidekick outlived its client');
  }, CASE_MS);

  it('exec -d of a shell, then exec --attach as often as wanted: a signal to a client leaves it running, exit in it ends it with its status', async () => {
    const { name, cli, api, namespace } = await pod();
    const detached = await runCli(['exec', '-d', '-i', ...cli.args, `pod/${name}/app`, '--', 'sh'], { env: cli.env, timeoutMs: CASE_MS });
    expect({ code: detached.code, stderr: detached.stderr }).toEqual({ code: 0, stderr: '' });
    const reference = detached.stdout.toString().trim();
    expect(reference).toMatch(new RegExp(`^pod/${name}/sidekick-pod-${name}-app-[0-9a-z]+$`));
    const sidekick = reference.split('/')[2]!;

    // A first client: its input reaches the shell; a signal to it leaves the session running.
    const first = spawn(process.execPath, [CLI_PATH, 'exec', '--attach', reference, ...cli.args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...cli.env } });
    clients.push(first);
    let seen = '';
    first.stdout!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    first.stderr!.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    const firstExit = new Promise<number | null>((resolve) => first.once('close', (code) => resolve(code)));
    first.stdin!.write('mark="first $((6 * 7))"; echo "$mark"\n');
    await waitUntil(async () => seen.includes('first 42') || first.exitCode !== null, 120_000, `the first attach did not answer: ${seen}`);
    expect(seen).toContain('first 42');
    // It ends as a program ended by SIGTERM does (128 + 15); the session stays.
    first.kill('SIGTERM');
    expect(await firstExit).toBe(143);
    expect(ephemeralStates(await api.readPod(namespace, name))).toEqual([{ name: sidekick, state: 'running' }]);

    // A second client finds the same shell (its variable is set), and ends it.
    const second = await runCli(['exec', '--attach', reference, ...cli.args], { env: cli.env, input: 'echo "again: $mark"; exit 3\n', timeoutMs: CASE_MS });
    expect({ code: second.code, stdout: second.stdout.toString(), stderr: second.stderr }).toEqual({ code: 3, stdout: 'again: first 42\n', stderr: '' });
    expect(ephemeralStates(await api.readPod(namespace, name))).toEqual([{ name: sidekick, state: 'terminated' }]);
    // Ended, it cannot be attached to, said in one line.
    const late = await runCli(['exec', '--attach', reference, ...cli.args], { env: cli.env, timeoutMs: CASE_MS });
    expect(late.code).toBe(125);
    expect(late.stderr.split('\n')[0]).toMatch(new RegExp(`^sidekick: sidekick pod/${name}/${sidekick} is not running`));
  }, CASE_MS);

  it('ls, inject, shell and eject: the toolbox written into the target and used there, found again, removed; no lock (Lease) left', async () => {
    const { name, cli, api, namespace } = await pod();
    const target = `pod/${name}/app`;
    const ls = await runCli(['ls', ...cli.args, `${target}:/`], { env: cli.env, timeoutMs: CASE_MS });
    expect({ code: ls.code, stderr: ls.stderr }).toEqual({ code: 0, stderr: '' });
    expect(ls.stdout.toString()).toMatch(new RegExp(` ${provider.rootEntry}\\n`));
    const injected = await runCli(['inject', ...cli.args, target], { env: cli.env, timeoutMs: CASE_MS });
    expect(injected.code, injected.stderr).toBe(0);
    expect(injected.stderr).toContain('injected busybox');
    expect(await api.listLeases(namespace, 'app.kubernetes.io/managed-by=sidekick')).toEqual([]);
    // In the target itself (its root), with the injected tools on PATH; found by the toolbox's own
    // busybox as the target's user, so no ephemeral container is added to the pod's spec.
    const entries = ephemeralStates(await api.readPod(namespace, name)).length;
    const shell = await runCli(['shell', ...cli.args, target, '--', 'sh', '-c', 'which ls; ls / | tr "\\n" " "'], { env: cli.env, timeoutMs: CASE_MS });
    expect({ code: shell.code, stderr: shell.stderr }).toEqual({ code: 0, stderr: '' });
    expect(shell.stdout.toString()).toMatch(new RegExp(`^/\\.sidekick/bin/ls\\n.*\\b${provider.rootEntry}\\b`));
    expect(ephemeralStates(await api.readPod(namespace, name))).toHaveLength(entries);
    const again = await runCli(['inject', ...cli.args, target], { env: cli.env, timeoutMs: CASE_MS });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('already has the toolbox at /.sidekick');
    // eject reads and removes through one ephemeral container, the archive's.
    const beforeEject = ephemeralStates(await api.readPod(namespace, name)).length;
    const ejected = await runCli(['eject', ...cli.args, target], { env: cli.env, timeoutMs: CASE_MS });
    expect(ejected.code, ejected.stderr).toBe(0);
    expect(ephemeralStates(await api.readPod(namespace, name))).toHaveLength(beforeEject + 1);
    const gone = await runCli(['shell', ...cli.args, target, '--', 'true'], { env: cli.env, timeoutMs: CASE_MS });
    expect(gone.code).toBe(125);
    expect(gone.stderr).toMatch(/has no sidekick toolbox injected/);
    expect(await api.listLeases(namespace, 'app.kubernetes.io/managed-by=sidekick')).toEqual([]);
    // afterEach: the original's files and process as they were.
  }, CASE_MS);

  it('inject --os of a rootfs tarball: the OS in the target beside its own files, then eject: the files as they were, no lock left', async () => {
    const { name, cli, api, namespace } = await pod();
    const target = `pod/${name}/app`;
    const rootfs = await tinyRootfs(await mkdtemp(join(tmpdir(), 'sidekick-kube-os-')));
    const injected = await runCli(['inject', ...cli.args, '--os', rootfs, target], { env: cli.env, timeoutMs: CASE_MS });
    expect(injected.code, injected.stderr).toBe(0);
    expect(injected.stderr).toMatch(new RegExp(`^sidekick: injected rootfs ${rootfs} into ${target}: \\d+ entries written, \\d+ of the target's own kept\\.$`, 'm'));
    expect(await api.listLeases(namespace, 'app.kubernetes.io/managed-by=sidekick')).toEqual([]);
    // The OS's own shell and files, in the target's root; the target's own /etc/hosts kept.
    const used = await runCli(['shell', ...cli.args, target, '--', '/bin/sh', '-c', `cat /etc/tiny-release /srv/readme; ls /${provider.rootEntry}; grep -c 'not the engine' /etc/hosts || true`], { env: cli.env, timeoutMs: CASE_MS });
    expect({ code: used.code, stderr: used.stderr }).toEqual({ code: 0, stderr: '' });
    expect(used.stdout.toString()).toBe(`tiny 1\nsrv\n/${provider.rootEntry}\n0\n`);
    const again = await runCli(['inject', ...cli.args, '--os', rootfs, target], { env: cli.env, timeoutMs: CASE_MS });
    expect(again.code).toBe(125);
    expect(again.stderr).toContain('already has an injected OS');
    const beforeEject = ephemeralStates(await api.readPod(namespace, name)).length;
    const ejected = await runCli(['eject', ...cli.args, target], { env: cli.env, timeoutMs: CASE_MS });
    expect(ejected.code, ejected.stderr).toBe(0);
    expect(ejected.stderr).toContain(`removed the injected OS (rootfs ${rootfs}) from ${target}.`);
    expect(ephemeralStates(await api.readPod(namespace, name))).toHaveLength(beforeEject + 1);
    const gone = await runCli(['ls', ...cli.args, `${target}:/`], { env: cli.env, timeoutMs: CASE_MS });
    expect(gone.stdout.toString()).not.toMatch(/ (srv|bin|\.sidekick-os\.json)\n/);
    expect(await api.listLeases(namespace, 'app.kubernetes.io/managed-by=sidekick')).toEqual([]);
    // afterEach: the original's files and process as they were.
  }, CASE_MS);

  it('ps and inspect of a pod\'s container', async () => {
    const { name, cli } = await pod();
    const ps = await runCli(['ps', '--json', ...cli.args, `pod/${name}/app`], { env: cli.env, timeoutMs: CASE_MS });
    expect({ code: ps.code, stderr: ps.stderr }).toEqual({ code: 0, stderr: '' });
    const listing = JSON.parse(ps.stdout.toString()) as { target: { name: string }; processes: Array<{ pid: number; command: string[] }> };
    expect(listing.target.name).toBe(`pod/${name}/app`);
    expect(listing.processes.find((row) => row.pid === 1)?.command.join(' ')).toMatch(provider.serverCommand);
    const inspect = await runCli(['inspect', '--json', ...cli.args, `pod/${name}/app`], { env: cli.env, timeoutMs: CASE_MS });
    expect({ code: inspect.code, stderr: inspect.stderr }).toEqual({ code: 0, stderr: '' });
    expect(inspect.stdout.toString()).toContain(`pod/${name}/app`);
  }, CASE_MS);

  it('exec --copy: a new pod from the original\'s spec with the toolbox, stdin and the status; deleted after', async () => {
    const { name, cli, api, namespace } = await pod();
    const script = [
      'echo root: $(ls /)',
      'echo tools: $(ls /.sidekick/bin | grep -c .)',
      'test -x /.sidekick/bin/run-entrypoint && echo run-entrypoint there',
      'echo "var: $EXTRA"',
      'read -r line; echo "in: $line"',
      'exit 5',
    ].join('; ');
    const result = await runCli(['exec', '-i', '--copy', '-e', 'EXTRA=yes', ...cli.args, `pod/${name}/app`, '--', 'sh', '-c', script], {
      env: cli.env,
      input: 'hello\n',
      timeoutMs: CASE_MS,
    });
    const out = result.stdout.toString();
    expect(result.code, result.stderr).toBe(5);
    expect(out).toMatch(new RegExp(`^root: .*\\b${provider.rootEntry}\\b`, 'm'));
    expect(out).toMatch(/^tools: [1-9]\d+$/m);
    expect(out).toMatch(/^run-entrypoint there$/m);
    expect(out).toMatch(/^var: yes$/m);
    expect(out).toMatch(/^in: hello$/m);
    // What the copy is, said even without a terminal.
    expect(result.stderr).toMatch(new RegExp(`^sidekick: the copy is pod sidekick-copy-\\S+, made from the spec of ${name}:`, 'm'));
    // The copy was made, and is gone (or going: a real cluster deletes with the grace asked for, 0).
    await waitUntil(async () => (await copiesOf(api, namespace, new Set([`${namespace}/${name}/`]))).length === 0, 60_000, 'the copy was left');
    expect(await provider.leftovers()).toEqual([]);
  }, CASE_MS);

  it('exec --copy: a kill -9 of the CLI ends the copy\'s processes (the lease), and prune then deletes the copy', async () => {
    const { name, cli, api, namespace } = await pod();
    const client = await startUntilReady(['exec', '--copy', ...cli.args, `pod/${name}/app`, '--', 'sh', '-c', 'echo ready; sleep 600'], cli.env);
    const [copy] = await copiesOf(api, namespace, new Set([`${namespace}/${name}/`]));
    expect(copy).toMatch(/^sidekick-copy-/);
    client.kill('SIGKILL');
    await waitUntil(async () => {
      const json = await api.readPod(namespace, copy!);
      return json === undefined || containerState(json, 'app').kind === 'terminated';
    }, 60_000, 'the copy outlived its client');
    // What a client killed with -9 cannot do, prune does: its client is gone, so the copy pod goes.
    const prune = await runCli(['prune', ...cli.args], { env: cli.env, timeoutMs: CASE_MS });
    expect(prune.code, prune.stderr).toBe(0);
    expect(prune.stdout.toString()).toContain(`pod/${copy}/app`);
    await waitUntil(async () => (await copiesOf(api, namespace, new Set([`${namespace}/${name}/`]))).length === 0, 60_000, 'prune left the copy');
  }, CASE_MS);

  it('exec --copy --keep: the copy outlives its session and its client, and prune leaves it (kept on purpose)', async () => {
    const { name, cli, api, namespace } = await pod();
    const kept = await runCli(['exec', '--copy', '--keep', ...cli.args, `pod/${name}/app`, '--', 'true'], { env: cli.env, timeoutMs: CASE_MS });
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stderr).toMatch(/^sidekick: keeping copy .*; remove with: kubectl .*delete pod sidekick-copy-\S+$/m);
    const [copy] = await copiesOf(api, namespace, new Set([`${namespace}/${name}/`]));
    expect(copy).toMatch(/^sidekick-copy-/);
    const prune = await runCli(['prune', '--dry-run', ...cli.args], { env: cli.env, timeoutMs: CASE_MS });
    expect(prune.code, prune.stderr).toBe(0);
    expect(prune.stdout.toString()).toMatch(new RegExp(`pod/${copy}/app.*kept on purpose`));
    expect(await copiesOf(api, namespace, new Set([`${namespace}/${name}/`]))).toEqual([copy]);
  }, CASE_MS);
}

/** The copies (pod names) whose target is a container of one of `targets` (`ns/pod/` prefixes). */
async function copiesOf(api: KubeApi, namespace: string, targets: Set<string>): Promise<string[]> {
  const copies = (await api.listPods(namespace, { labelSelector: COPY_KIND_SELECTOR })) as Array<PodJson & { metadata?: { name?: string; annotations?: Record<string, string>; deletionTimestamp?: string } }>;
  return copies
    .filter((p) => p.metadata?.deletionTimestamp === undefined)
    .filter((p) => [...targets].some((prefix) => (p.metadata?.annotations?.[TARGET_ANNOTATION] ?? '').startsWith(prefix)))
    .map((p) => p.metadata?.name ?? '');
}

function ephemeralStates(pod: PodJson | undefined): Array<{ name: string; state: string }> {
  const statuses = (pod?.status as { ephemeralContainerStatuses?: Array<{ name: string }> } | undefined)?.ephemeralContainerStatuses ?? [];
  return statuses.map((s) => ({ name: s.name, state: containerState(pod!, s.name).kind }));
}

async function waitUntil(done: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await done()); ) {
    if (Date.now() > deadline) throw new Error(`${what} (after ${timeoutMs / 1000} s)`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}
