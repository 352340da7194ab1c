/**
 * `exec --copy pod/…` end to end: the built CLI against the control-plane double
 * (test/kube-double/README.md: a test double of the control plane only, backed by real Docker
 * containers). The copy is a new pod made from the original's spec (docs/ARCHITECTURE.md,
 * "Kubernetes engine"); the original must stay untouched and the copy must be gone after the
 * session, or end its processes when its client is killed.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { docker, lines } from '../fixtures/docker-cli.js';
import { writeKubeconfig } from '../kube-double/kubeconfig.js';
import { createPod, deletePod, type DoublePod } from '../kube-double/pods.js';
import { removePodVolumes } from '../kube-double/posted-pods.js';
import { startKubeDouble, type KubeDouble } from '../kube-double/server.js';
import { defaultToolboxImage } from '../kube-double/test-client.js';
import { CLI_PATH, expectUntouched, runCli, snapshotTarget, type TargetSnapshot } from './harness.js';

const CASE_MS = 180_000;
const POD_LABEL = 'io.sidekick.kube-double.pod';

/** The pods of the namespace the double runs whose names are sidekick's copies, each with its containers' states. */
async function copyPods(): Promise<Map<string, string[]>> {
  const out = await docker(['ps', '-a', '--filter', `label=${POD_LABEL}`, '--format', `{{.Label "${POD_LABEL}"}} {{.Label "io.sidekick.kube-double.role"}}:{{.Label "io.sidekick.kube-double.container"}}:{{.State}}`]);
  const pods = new Map<string, string[]>();
  for (const line of lines(out)) {
    const [pod, state] = line.split(' ') as [string, string];
    if (!pod.startsWith('default/sidekick-copy-')) continue;
    pods.set(pod, [...(pods.get(pod) ?? []), state]);
  }
  return pods;
}

describe('exec --copy of a pod (through the control-plane double)', () => {
  let double: KubeDouble | undefined;
  let dir: string | undefined;
  const originals: Array<{ pod: DoublePod; before: TargetSnapshot }> = [];

  afterEach(async () => {
    try {
      for (const { pod, before } of originals) await expectUntouched(before, pod.containers.get('app')!);
    } finally {
      for (const { pod } of originals.splice(0)) await deletePod(pod.namespace, pod.name);
      // A copy the case left (it failed before the CLI removed it) goes too.
      for (const key of (await copyPods()).keys()) {
        const name = key.slice('default/'.length);
        await deletePod('default', name);
        await removePodVolumes('default', name);
      }
      await double?.close();
      double = undefined;
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    }
  });

  async function podAndConfig(): Promise<{ pod: DoublePod; kubeconfig: string; env: Record<string, string> }> {
    const { scratchServer } = inject('fixtures');
    double = await startKubeDouble();
    dir = await mkdtemp(join(tmpdir(), 'sidekick-kube-copy-'));
    const kubeconfig = await writeKubeconfig(double, join(dir, 'config'));
    const pod = await createPod('default', `sidekick-test-${Date.now().toString(36)}`, [{ name: 'app', image: scratchServer }]);
    originals.push({ pod, before: await snapshotTarget(pod.containers.get('app')!) });
    // The double pulls nothing: the cluster's toolbox is named as a cluster without Docker Hub would name it.
    return { pod, kubeconfig, env: { SIDEKICK_KUBE_TOOLBOX: await defaultToolboxImage() } };
  }

  it('runs the command in a new pod made from the original\'s spec, with the toolbox and run-entrypoint, passes the status back and deletes the copy', async () => {
    const { pod, kubeconfig, env } = await podAndConfig();
    const script = [
      'echo root: $(ls /)',
      'echo tools: $(ls /.sidekick/bin | grep -c .)',
      'test -x /.sidekick/bin/run-entrypoint && echo run-entrypoint there',
      'echo "var: $EXTRA"',
      'echo "pid1: $(cat /proc/1/cmdline | tr "\\0" " ")"',
      'read -r line; echo "in: $line"',
      'exit 5',
    ].join('; ');
    const result = await runCli(['exec', '-i', '--copy', '-e', 'EXTRA=yes', '--kubeconfig', kubeconfig, `pod/${pod.name}/app`, '--', 'sh', '-c', script], {
      env,
      input: 'hello\n',
      timeoutMs: CASE_MS,
    });
    const out = result.stdout.toString();
    expect(result.code, result.stderr).toBe(5);
    // The image's files (the scratch server) and the toolbox, in a copy.
    expect(out).toMatch(/^root: .*\bserver\b/m);
    expect(out).toMatch(/^tools: [1-9]\d+$/m);
    expect(out).toMatch(/^run-entrypoint there$/m);
    expect(out).toMatch(/^var: yes$/m);
    // shareProcessNamespace: PID 1 is the copy pod's pause process, not the shell.
    expect(out).not.toMatch(/^pid1: .*sidekick-wait/m);
    expect(out).toMatch(/^in: hello$/m);
    // It says what the copy is, even without a terminal.
    expect(result.stderr).toMatch(/^sidekick: the copy is pod sidekick-copy-.*, made from the spec of /m);
    // The copy is deleted once the session ends.
    for (const deadline = Date.now() + 30_000; (await copyPods()).size > 0; ) {
      if (Date.now() > deadline) throw new Error(`the copy was left: ${JSON.stringify([...(await copyPods())])}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(lines(await docker(['volume', 'ls', '-q', '--filter', `label=${POD_LABEL}`])).filter((v) => v.includes('sidekick-tools'))).toEqual([]);
  }, CASE_MS);

  it('ends the copy\'s processes when its client is killed with -9 (the lease)', async () => {
    const { pod, kubeconfig, env } = await podAndConfig();
    const client = spawn(process.execPath, [CLI_PATH, 'exec', '--copy', '--kubeconfig', kubeconfig, `pod/${pod.name}/app`, '--', 'sh', '-c', 'echo ready; sleep 600'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    try {
      let output = '';
      client.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      client.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      for (const deadline = Date.now() + 120_000; !output.includes('ready'); ) {
        if (Date.now() > deadline || client.exitCode !== null) throw new Error(`the copy did not start: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      client.kill('SIGKILL');
      // No renewals: the copy's guard ends its shell and the sleep (5 missed, a second each).
      for (const deadline = Date.now() + 60_000; ; ) {
        const states = [...(await copyPods()).values()].flat();
        if (states.some((s) => s === 'container:app:exited')) break;
        if (Date.now() > deadline) throw new Error(`the copy outlived its client: ${states.join(', ')}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      client.kill('SIGKILL');
    }
  }, CASE_MS);
});
