/**
 * The command line on pod targets, end to end: the built CLI (dist/) against the control-plane
 * double (test/kube-double/README.md: a test double of the control plane only, backed by real
 * Docker containers), with `--kubeconfig` naming the double. The double pulls no image, so
 * the toolbox is the locally built one, passed with --image as a user would name one the
 * cluster can pull. The cases shared with a real cluster (exec's root, status and stdin, its
 * lease after kill -9, ps and inspect, exec --copy) are test/kube-suite/cli-cases.ts, run by kubernetes-cli-cases.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { symlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { KubeApi } from '../../src/engines/kubernetes/kube-api.js';
import { loadKubeContext } from '../../src/engines/kubernetes/kube-config.js';
import { docker, run } from '../fixtures/docker-cli.js';
import { DoubleWorld } from '../kube-double/double-world.js';
import type { DoublePod } from '../kube-double/pods.js';
import { defaultToolboxImage } from '../kube-double/test-client.js';
import { CLI_PATH, expectUntouched, runCli, snapshotTarget, type TargetSnapshot } from './harness.js';
import { TmuxSession, waitForFile } from './tmux-session.js';

/** An ephemeral sidekick is an image start and several API round trips; a busy machine makes that long. */
const CASE_MS = 180_000;

describe('sidekick on pod targets (through the control-plane double)', () => {
  const world = new DoubleWorld('sidekick-kube-cli');
  const pods: Array<{ pod: DoublePod; before: TargetSnapshot }> = [];

  let tmux: TmuxSession | undefined;

  afterEach(async () => {
    await tmux?.kill();
    tmux = undefined;
    try {
      // Each pod's containers are as they were: same process, same filesystem, no zombie added.
      for (const { pod, before } of pods.splice(0)) await expectUntouched(before, pod.containers.get('app')!);
    } finally {
      await world.close();
    }
  });

  /** A pod whose container `app` is the scratch server, the double serving it, and a kubeconfig naming the double. */
  async function podAndConfig(options: { shareProcessNamespace?: boolean } = {}): Promise<{ pod: DoublePod; kubeconfig: string }> {
    const { scratchServer } = inject('fixtures');
    const kubeconfig = await world.kubeconfig();
    const pod = await world.pod(`sidekick-test-${Date.now().toString(36)}`, [{ name: 'app', image: scratchServer }], options);
    pods.push({ pod, before: await snapshotTarget(pod.containers.get('app')!) });
    return { pod, kubeconfig };
  }

  /** The pod's sidekicks as the double's Docker containers show them: name and state. */
  async function sidekicksOf(pod: DoublePod): Promise<string[]> {
    const out = await docker(['ps', '-a', '--filter', `label=io.sidekick.kube-double.pod=default/${pod.name}`, '--filter', 'label=io.sidekick.kube-double.role=ephemeral', '--format', '{{.Label "io.sidekick.kube-double.container"}} {{.State}}']);
    return out.split('\n').filter((line) => line !== '');
  }

  it('finds the target\'s own process by its runtime ID in a pod that shares one PID namespace (PID 1 is the pause process)', async () => {
    const { pod, kubeconfig } = await podAndConfig({ shareProcessNamespace: true });
    const toolbox = await defaultToolboxImage();
    const result = await runCli(['exec', '--kubeconfig', kubeconfig, '--image', toolbox, `pod/${pod.name}/app`, '--', 'sh', '-c', 'echo $(ls /); cat /proc/1/cmdline | tr "\\0" " "; echo'], {
      timeoutMs: CASE_MS,
    });
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const [root, pid1] = result.stdout.toString().split('\n');
    // / is the app's root, not PID 1's (the pause container's busybox).
    expect(root!.split(' ')).toContain('server');
    expect(pid1).not.toMatch(/server/);
  }, CASE_MS);

  it('gives the session a terminal of the client\'s size, and passes the status back through it', async () => {
    const { pod, kubeconfig } = await podAndConfig();
    const toolbox = await defaultToolboxImage();
    const statusFile = join(await world.dir(), 'status');
    tmux = await TmuxSession.start(
      `node ${CLI_PATH} exec -it --kubeconfig ${kubeconfig} --image ${toolbox} pod/${pod.name}/app -- sh -c 'test -t 0 && test -t 1 && echo on a terminal; stty size; exit 3'; echo "$?" > ${statusFile}; sleep 60`,
      97,
      31,
    );
    const status = await waitForFile(statusFile, 120_000);
    const screen = await tmux.screen();
    expect(screen).toMatch(/^on a terminal$/m);
    expect(screen).toMatch(/^31 97$/m);
    expect(status).toBe('3\n');
  }, CASE_MS);

  it('goes back into a terminal session left with -d through exec --attach; the detach keys leave it running, exit ends it with its status', async () => {
    const { pod, kubeconfig } = await podAndConfig();
    const env = { SIDEKICK_KUBE_TOOLBOX: await defaultToolboxImage() };
    const detached = await runCli(['exec', '-d', '--kubeconfig', kubeconfig, `pod/${pod.name}/app`], { env, timeoutMs: CASE_MS });
    expect({ code: detached.code, stderr: detached.stderr }).toEqual({ code: 0, stderr: '' });
    const reference = detached.stdout.toString().trim();
    expect(reference).toMatch(new RegExp(`^pod/${pod.name}/sidekick-`));
    const sidekick = reference.split('/')[2]!;
    const attach = async (): Promise<string> => {
      const statusFile = join(await world.dir(), `status-${Date.now()}`);
      await tmux?.kill();
      tmux = await TmuxSession.start(`SIDEKICK_KUBE_TOOLBOX=${env.SIDEKICK_KUBE_TOOLBOX} node ${CLI_PATH} exec --attach ${reference} --kubeconfig ${kubeconfig}; echo "$?" > ${statusFile}; sleep 60`, 150, 40);
      return statusFile;
    };

    const first = await attach();
    await tmux!.type('echo "back $((20 + 1))"', 'Enter');
    await tmux!.waitFor(/^back 21$/m);
    await tmux!.type('C-p', 'C-q');
    expect(await waitForFile(first, 60_000)).toBe('0\n');
    expect((await tmux!.screen()).replace(/\n/g, '')).toContain(`keeps running. Back in: sidekick exec --attach ${reference} --kubeconfig ${kubeconfig}`);
    expect(await sidekicksOf(pod)).toEqual([`${sidekick} running`]);

    const second = await attach();
    await tmux!.type('echo "again $((40 + 2))"', 'Enter');
    await tmux!.waitFor(/^again 42$/m);
    await tmux!.type('exit 4', 'Enter');
    expect(await waitForFile(second, 60_000)).toBe('4\n');
    expect(await sidekicksOf(pod)).toEqual([`${sidekick} exited`]);
  }, CASE_MS);

  it('renews a session\'s lease over one exec in the sidekick, not one exec a second', async () => {
    const { pod, kubeconfig } = await podAndConfig();
    const toolbox = await defaultToolboxImage();
    const since = Math.floor(Date.now() / 1000) - 1;
    const result = await runCli(['exec', '--kubeconfig', kubeconfig, '--image', toolbox, `pod/${pod.name}/app`, '--', 'sh', '-c', 'sleep 5; echo done'], { timeoutMs: CASE_MS });
    expect({ code: result.code, stdout: result.stdout.toString(), stderr: result.stderr }).toEqual({ code: 0, stdout: 'done\n', stderr: '' });
    // The execs the double ran in the sidekick (its Docker container): the preload's tar and the signal keeper.
    const [sidekick] = await sidekicksOf(pod);
    const id = (await docker(['ps', '-aq', '--no-trunc', '--filter', `label=io.sidekick.kube-double.container=${sidekick!.split(' ')[0]}`])).trim();
    const events = await docker(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', `container=${id}`, '--filter', 'event=exec_create', '--format', '{{.Action}}']);
    const execs = events.split('\n').filter((line) => line !== '');
    // Renewed once a second by an exec each, a 5 s session would have run 5 or more.
    expect(execs.length, execs.join('\n')).toBeLessThanOrEqual(3);
    expect(execs.some((line) => line.includes('sidekick-signals'))).toBe(true);
  }, CASE_MS);

  it('holds one lock per pod container as a Lease: another holder is named with the kubectl command to remove it, a killed one on this host is taken over', async () => {
    const { pod, kubeconfig } = await podAndConfig();
    const env = { SIDEKICK_KUBE_TOOLBOX: await defaultToolboxImage() };
    const target = `pod/${pod.name}/app`;
    const api = new KubeApi(loadKubeContext({ kubeconfig }, {}));
    const leaseName = `sidekick-inject-lock-${pod.name}.app`;
    const holdAs = async (holder: string): Promise<string> =>
      (await api.createLease('default', { metadata: { name: leaseName, annotations: { 'io.sidekick.lock.holder': holder, 'io.sidekick.lock.purpose': 'inject', 'io.sidekick.created': '2026-12-01T00:00:00.000Z' } } }))!;
    const uid = await holdAs('another-host:4242');
    try {
      const refused = await runCli(['inject', '--kubeconfig', kubeconfig, target], { env, timeoutMs: CASE_MS });
      expect(refused.code).toBe(125);
      const [line, hint, rest] = refused.stderr.split('\n');
      expect(line).toBe(`sidekick: another sidekick is injecting into ${target} (process another-host:4242, since 2026-12-01T00:00:00.000Z).`);
      expect(hint).toMatch(new RegExp(`If it was killed, remove its lock: kubectl --context \\S+ -n default delete lease ${leaseName}$`));
      expect(rest).toBe('');
    } finally {
      await api.deleteLease('default', leaseName, uid);
    }
    // A holder of this host whose process is gone (a CLI killed with -9): taken over, then released.
    const dead = spawnSync('true');
    await holdAs(`${hostname()}:${dead.pid}`);
    const taken = await runCli(['eject', '--kubeconfig', kubeconfig, target], { env, timeoutMs: CASE_MS });
    expect(taken.code, taken.stderr).toBe(0);
    expect(world.leases()).toEqual([]);
  }, CASE_MS);

  it('runs as kubectl sidekick (an executable of that name on PATH), a bare target naming a pod', async () => {
    const { pod, kubeconfig } = await podAndConfig();
    const plugin = join(await world.dir(), 'kubectl-sidekick');
    await symlink(CLI_PATH, plugin);
    const env = { ...process.env, SIDEKICK_KUBE_TOOLBOX: await defaultToolboxImage() };
    const ps = await run(plugin, ['ps', '--json', pod.name, '--kubeconfig', kubeconfig, '-n', 'default'], { env, timeoutMs: CASE_MS });
    expect(ps.stderr).toBe('');
    expect(ps.code).toBe(0);
    expect((JSON.parse(ps.stdout.toString()) as { target: { name: string } }).target.name).toBe(`pod/${pod.name}/app`);
  }, CASE_MS);

  it('runs with --debug: the debug notes need nothing the Kubernetes engine lacks', async () => {
    const { pod, kubeconfig } = await podAndConfig();
    const toolbox = await defaultToolboxImage();
    const result = await runCli(['--debug', 'exec', '--kubeconfig', kubeconfig, '--image', toolbox, `pod/${pod.name}/app`, '--', 'sh', '-c', 'echo ok'], { timeoutMs: CASE_MS });
    expect(result.stdout.toString()).toBe('ok\n');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/cannot keep images/);
  }, CASE_MS);

  it('uses the namespace of -n and says plainly when the pod is not there', async () => {
    const { kubeconfig } = await podAndConfig();
    const result = await runCli(['exec', `pod/no-such-pod`, '-n', 'elsewhere', '--kubeconfig', kubeconfig, '--', 'true']);
    expect(result).toMatchObject({ code: 125, stderr: 'sidekick: no pod no-such-pod in namespace elsewhere.\nList the pods with kubectl get pods, or name the namespace with -n.\n' });
  }, CASE_MS);
});
