/**
 * The Kubernetes engine's core end to end, through the control-plane double
 * (test/kube-double/README.md: a test double of the control plane only, backed by real
 * Docker containers): a pod's container found by kubectl's spelling, an exec in it, and an
 * ephemeral sidekick in its PID namespace whose first output is not lost.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { pack } from 'tar-stream';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { loadKubeContext } from '../../src/engines/kubernetes/kube-config.js';
import { KubernetesEngine } from '../../src/engines/kubernetes/kubernetes-engine.js';
import { writeKubeconfig } from '../kube-double/kubeconfig.js';
import { createPod, deletePod } from '../kube-double/pods.js';
import { startKubeDouble, type KubeDouble } from '../kube-double/server.js';
import { defaultToolboxImage } from '../kube-double/test-client.js';

describe('Kubernetes engine (through the control-plane double)', () => {
  let double: KubeDouble | undefined;
  let dir: string | undefined;
  const pods: string[] = [];

  afterEach(async () => {
    for (const pod of pods.splice(0)) await deletePod('default', pod);
    await double?.close();
    double = undefined;
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function engineWithPod(containers: { name: string; image: string; args?: string[] }[]): Promise<{ engine: KubernetesEngine; pod: string }> {
    const pod = `kube-engine-${Date.now().toString(36)}`;
    pods.push(pod);
    await createPod('default', pod, containers);
    double = await startKubeDouble();
    dir = await mkdtemp(join(tmpdir(), 'sidekick-kube-'));
    const kubeconfig = await writeKubeconfig(double, join(dir, 'config'));
    return { engine: new KubernetesEngine(loadKubeContext({ kubeconfig }, {})), pod };
  }

  it('finds and lists a pod\'s containers, refuses to guess among several, and says when a pod is not there', async () => {
    const { scratchServer } = inject('fixtures');
    const toolbox = await defaultToolboxImage();
    const { engine, pod } = await engineWithPod([
      { name: 'app', image: scratchServer },
      { name: 'tools', image: toolbox, args: ['sleep', '3600'] },
    ]);
    const target = await engine.findContainer(`pod/${pod}/app`);
    expect(target).toMatchObject({ id: `default/${pod}/app`, name: `pod/${pod}/app`, status: 'running', image: scratchServer });
    expect(target.namespaceModes.network).toEqual({ kind: 'pod', pod });
    const listed = await engine.listContainers({ all: false });
    expect(listed.filter((c) => c.names[0]!.startsWith(`pod/${pod}/`)).map((c) => `${c.names[0]} ${c.status}`).sort()).toEqual([
      `pod/${pod}/app running`,
      `pod/${pod}/tools running`,
    ]);
    await expect(engine.findContainer(`pod/${pod}`)).rejects.toMatchObject({ code: 'TARGET_AMBIGUOUS' });
    await expect(engine.findContainer('pod/no-such-pod')).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND' });
    await expect(engine.findContainer(`pod/${pod}/db`)).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND' });
  });

  it('runs an exec in a container with its output apart and its exit status', async () => {
    const toolbox = await defaultToolboxImage();
    const { engine, pod } = await engineWithPod([{ name: 'tools', image: toolbox, args: ['sleep', '3600'] }]);
    const process = await engine.execInContainer(`default/${pod}/tools`, { command: ['sh', '-c', 'echo out; echo err >&2; exit 3'], tty: false, openStdin: false });
    const [out, err, status] = await Promise.all([text(process.stdout), text(process.stderr), process.exit]);
    expect({ out, err, status }).toEqual({ out: 'out\n', err: 'err\n', status: { code: 3 } });
  });

  it('runs a sidekick as an ephemeral container in the target\'s PID namespace, first output included', async () => {
    const { scratchServer } = inject('fixtures');
    const toolbox = await defaultToolboxImage();
    const { engine, pod } = await engineWithPod([{ name: 'app', image: scratchServer }]);
    const sidekick = await engine.runSidekick({
      image: toolbox,
      command: ['sh', '-c', 'echo first; cat /proc/1/cmdline | tr "\\0" " "; echo; exit 7'],
      env: ['GREETING=hi'],
      tty: false,
      openStdin: false,
      labels: {},
      capAdd: [],
      privileged: false,
      autoRemove: true,
      target: { id: `default/${pod}/app`, joinIpc: false },
    });
    expect(sidekick.id).toMatch(new RegExp(`^default/${pod}/sidekick-app-[0-9a-f]{6}$`));
    const [out, status] = await Promise.all([text(sidekick.process.stdout), sidekick.process.exit]);
    expect(out.split('\n')[0]).toBe('first');
    // PID 1 of the namespace is the target's own process: the scratch server.
    expect(out.split('\n')[1]).toMatch(/server/);
    expect(status).toEqual({ code: 7 });
  });

  it('puts the sidekick\'s own files in before its command starts, and signals its process', async () => {
    const { scratchServer } = inject('fixtures');
    const toolbox = await defaultToolboxImage();
    const { engine, pod } = await engineWithPod([{ name: 'app', image: scratchServer }]);
    const sidekick = await engine.runSidekick({
      image: toolbox,
      command: ['sh', '-c', 'cat /preloaded/note; trap "echo got URG; exit 5" URG; echo ready; while :; do sleep 0.1; done'],
      env: [],
      tty: false,
      openStdin: false,
      labels: {},
      capAdd: [],
      privileged: false,
      autoRemove: true,
      target: { id: `default/${pod}/app`, joinIpc: false },
      preload: { directory: '/', tar: () => tarOf('preloaded/note', 'put in before the start\n') },
    });
    let output = '';
    sidekick.process.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (const deadline = Date.now() + 30_000; !output.includes('ready'); ) {
      if (Date.now() > deadline) throw new Error(`no ready line; output so far: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await sidekick.process.signal('SIGURG');
    expect(await sidekick.process.exit).toEqual({ code: 5 });
    expect(output).toBe('put in before the start\nready\ngot URG\n');
  });
});

function tarOf(name: string, content: string): NodeJS.ReadableStream {
  const archive = pack();
  archive.entry({ name, mode: 0o644 }, content);
  archive.finalize();
  return archive as unknown as NodeJS.ReadableStream;
}
