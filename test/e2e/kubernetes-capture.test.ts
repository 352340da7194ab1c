/**
 * `sidekick capture` of a pod's container (docs/RELIABILITY.md, "capture"), end to end through
 * the control-plane double (test/kube-double/README.md: a test double of the control plane only,
 * backed by real Docker containers): tcpdump in an ephemeral sidekick, which is in the pod's
 * network, from an image the cluster can pull (`--image`; here the package toolbox built on the
 * same Docker engine, which the double then finds as a cluster finds a pulled image). The pcap
 * comes back byte for byte; Ctrl-C ends it with what tcpdump held written out.
 */
import { spawn } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { DoubleWorld } from '../kube-double/double-world.js';
import type { DoublePod } from '../kube-double/pods.js';
import { defaultToolboxImage } from '../kube-double/test-client.js';
import { docker } from '../fixtures/docker-cli.js';
import { readPcap } from '../fixtures/pcap.js';
import { CLI_PATH, expectUntouched, httpGet, runCli, snapshotTarget, type TargetSnapshot } from './harness.js';

const CASE_MS = 180_000;

describe('sidekick capture of a pod (through the control-plane double)', () => {
  const world = new DoubleWorld('sidekick-kube-capture');
  const pods: Array<{ pod: DoublePod; before: TargetSnapshot }> = [];
  let tcpdumpImage = '';

  beforeAll(async () => {
    // Built once by content on the Docker engine the double runs on.
    const built = await runCli(['toolbox', 'build', '--tools', 'tcpdump'], { timeoutMs: 600_000 });
    expect(built.code, built.stderr).toBe(0);
    // A cluster pulls an image with sh, tar and tcpdump on its PATH (netshoot, say): the package
    // toolbox made one, its busybox applets (tar) put on PATH. Tagged by the toolbox's ID.
    const toolbox = built.stdout.toString().trim();
    const id = (await docker(['image', 'inspect', '-f', '{{.Id}}', toolbox])).trim().replace(/^sha256:/, '').slice(0, 12);
    tcpdumpImage = `sidekick-fixture/kube-tcpdump:${id}`;
    const present = await docker(['image', 'inspect', tcpdumpImage]).then(() => true, () => false);
    if (!present) {
      await docker(['build', '-q', '-t', tcpdumpImage, '-'], {
        input: `FROM ${toolbox}\nENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/.sidekick-view/applets\n`,
        timeoutMs: 300_000,
      });
    }
  }, 600_000);

  afterEach(async () => {
    try {
      for (const { pod, before } of pods.splice(0)) await expectUntouched(before, pod.containers.get('app')!);
    } finally {
      await world.close();
    }
  });

  it('streams the pod\'s packets as a pcap from an ephemeral sidekick with --image, and Ctrl-C ends it with every packet written', async () => {
    const kubeconfig = await world.kubeconfig();
    const pod = await world.pod(`sidekick-test-cap-${Date.now().toString(36)}`, [{ name: 'app', image: inject('fixtures').scratchServer }]);
    pods.push({ pod, before: await snapshotTarget(pod.containers.get('app')!) });
    const child = spawn(process.execPath, [CLI_PATH, 'capture', '--kubeconfig', kubeconfig, '--image', tcpdumpImage, `pod/${pod.name}/app`, '-w', '-', 'tcp', 'port', '8080'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SIDEKICK_KUBE_TOOLBOX: await defaultToolboxImage() },
    });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exit = new Promise<number>((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
    for (const deadline = Date.now() + CASE_MS / 2; !/listening on /.test(stderr); ) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the capture never listened:\n${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const path = `/pod-capture-${Date.now()}`;
    expect((await httpGet(pod.ip, 8080, path)).status).toBe(200);
    child.kill('SIGINT');
    expect(await exit, stderr).toBe(0);
    const pcap = readPcap(Buffer.concat(out));
    expect(pcap.records.some((record) => record.data.includes(Buffer.from(`GET ${path} HTTP/1.1\r\n`)))).toBe(true);
    expect(stderr).toMatch(/\d+ packets captured/);
    // Without --image: the package toolbox is built on an engine that keeps images, which a cluster is not.
    const refused = await runCli(['capture', '--kubeconfig', kubeconfig, `pod/${pod.name}/app`, '-c', '1'], { env: { SIDEKICK_KUBE_TOOLBOX: await defaultToolboxImage() }, timeoutMs: CASE_MS });
    expect(refused.code).toBe(125);
    const [line, hint, rest] = refused.stderr.split('\n');
    expect(line).toBe('sidekick: capture on the Kubernetes engine needs --image: an image it can pull with tcpdump, sh and tar on its PATH.');
    expect(hint).toBe(`For example: sidekick capture --image nicolaka/netshoot pod/${pod.name}/app (the toolbox with tcpdump is built only on an engine that keeps images, such as Docker).`);
    expect(rest).toBe('');
  }, CASE_MS);
});
