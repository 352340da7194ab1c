/**
 * The Kubernetes engine's end-to-end cases, written once and run against two kinds of
 * cluster (issue 14, "Testing it honestly"): the control-plane double backed by Docker
 * (test/e2e/kubernetes-engine.test.ts, always) and a real cluster when KUBECONFIG is set
 * (test/e2e/kubernetes-cluster.test.ts). A case asserts only what a real cluster does too.
 */
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pack } from 'tar-stream';
import { afterEach, expect, it } from 'vitest';
import { containerState } from '../../src/engines/kubernetes/ephemeral-container.js';
import { KubeApi } from '../../src/engines/kubernetes/kube-api.js';
import type { KubernetesEngine } from '../../src/engines/kubernetes/kubernetes-engine.js';

/** A container of a test pod: a long-running server to debug, or a shell with tools to exec into. */
export interface TestPodContainer {
  name: string;
  role: 'server' | 'tools';
}

export interface PodProvider {
  /** The engine, on this provider's cluster and namespace. */
  engine(): Promise<KubernetesEngine>;
  namespace(): string;
  /** Creates the pod and waits until all its containers run. */
  createPod(name: string, containers: TestPodContainer[]): Promise<void>;
  deletePod(name: string): Promise<void>;
  /** An image with busybox (sh, tar, kill, cat) the cluster can run. */
  toolboxImage(): Promise<string>;
  /** What /proc/1/cmdline of a server container holds (a pattern). */
  serverCommand: RegExp;
  /** Called once after each case (the provider's own cleanup). */
  cleanup(): Promise<void>;
}

/** A sidekick is an image start and several API round trips; a busy machine or a real cluster's pull makes that minutes. */
const SIDEKICK_CASE_MS = 300_000;

export function kubernetesEngineCases(provider: PodProvider): void {
  const pods: string[] = [];

  afterEach(async () => {
    for (const pod of pods.splice(0)) await provider.deletePod(pod);
    await provider.cleanup();
  });

  async function podWith(containers: TestPodContainer[]): Promise<{ engine: KubernetesEngine; pod: string; namespace: string }> {
    const pod = `sidekick-test-${Date.now().toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
    pods.push(pod);
    await provider.createPod(pod, containers);
    return { engine: await provider.engine(), pod, namespace: provider.namespace() };
  }

  it('finds and lists a pod\'s containers, refuses to guess among several, and says when a pod is not there', async () => {
    const { engine, pod, namespace } = await podWith([
      { name: 'app', role: 'server' },
      { name: 'tools', role: 'tools' },
    ]);
    const target = await engine.findContainer(`pod/${pod}/app`);
    expect(target).toMatchObject({ id: `${namespace}/${pod}/app`, name: `pod/${pod}/app`, status: 'running' });
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
    const { engine, pod, namespace } = await podWith([{ name: 'tools', role: 'tools' }]);
    const process = await engine.execInContainer(`${namespace}/${pod}/tools`, { command: ['sh', '-c', 'echo out; echo err >&2; exit 3'], tty: false, openStdin: false });
    const [out, err, status] = await Promise.all([text(process.stdout), text(process.stderr), process.exit]);
    expect({ out, err, status }).toEqual({ out: 'out\n', err: 'err\n', status: { code: 3 } });
  });

  it('runs a sidekick as an ephemeral container in the target\'s PID namespace, first output included', async () => {
    const { engine, pod, namespace } = await podWith([{ name: 'app', role: 'server' }]);
    const sidekick = await engine.runSidekick({
      ...sidekickBase(await provider.toolboxImage(), `${namespace}/${pod}/app`),
      command: ['sh', '-c', 'echo first; cat /proc/1/cmdline | tr "\\0" " "; echo; exit 7'],
    });
    expect(sidekick.id).toMatch(new RegExp(`^${namespace}/${pod}/sidekick-app-[0-9a-f]{6}$`));
    const [out, status] = await Promise.all([text(sidekick.process.stdout), sidekick.process.exit]);
    expect(out.split('\n')[0]).toBe('first');
    // PID 1 of the namespace is the target's own process.
    expect(out.split('\n')[1]).toMatch(provider.serverCommand);
    expect(status).toEqual({ code: 7 });
  }, SIDEKICK_CASE_MS);

  it('puts the sidekick\'s own files in before its command starts, and signals its process', async () => {
    const { engine, pod, namespace } = await podWith([{ name: 'app', role: 'server' }]);
    const sidekick = await engine.runSidekick({
      ...sidekickBase(await provider.toolboxImage(), `${namespace}/${pod}/app`),
      command: ['sh', '-c', 'cat /preloaded/note; trap "echo got URG; exit 5" URG; echo ready; while :; do sleep 0.1; done'],
      preload: { directory: '/', tar: () => tarOf('preloaded/note', 'put in before the start\n') },
    });
    let output = '';
    sidekick.process.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitForLine(() => output, 'ready');
    await sidekick.process.signal!('SIGURG');
    expect(await sidekick.process.exit).toEqual({ code: 5 });
    expect(output).toBe('put in before the start\nready\ngot URG\n');
  }, SIDEKICK_CASE_MS);

  it('ends a sidekick whose start failed, rather than leave it waiting in the pod', async () => {
    const { engine, pod, namespace } = await podWith([{ name: 'app', role: 'server' }]);
    const garbage = (): NodeJS.ReadableStream => Readable.from([Buffer.alloc(1024, 'x')]);
    await expect(
      engine.runSidekick({ ...sidekickBase(await provider.toolboxImage(), `${namespace}/${pod}/app`), command: ['true'], preload: { directory: '/', tar: garbage } }),
    ).rejects.toMatchObject({ code: 'TOOLBOX_UNAVAILABLE' });
    const api = new KubeApi(engine.context);
    for (const deadline = Date.now() + 60_000; ; ) {
      const json = await api.readPod(namespace, pod);
      const sidekicks = (json?.status?.ephemeralContainerStatuses ?? []).map((status) => containerState(json!, status.name));
      if (sidekicks.length === 1 && sidekicks[0]!.kind === 'terminated') break;
      if (Date.now() > deadline) throw new Error(`the failed sidekick did not end: ${JSON.stringify(sidekicks)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, SIDEKICK_CASE_MS);

  it('stops a sidekick with TERM, then KILL after the grace; never a pod\'s own container', async () => {
    const { engine, pod, namespace } = await podWith([{ name: 'app', role: 'server' }]);
    const base = sidekickBase(await provider.toolboxImage(), `${namespace}/${pod}/app`);
    const polite = await engine.runSidekick({ ...base, command: ['sh', '-c', 'trap "echo term; exit 0" TERM; echo ready; while :; do sleep 0.1; done'] });
    // No child of its own (exec): a KILL of a process with children would hand them to the target's PID 1, as zombies.
    const stubborn = await engine.runSidekick({ ...base, command: ['sh', '-c', 'trap "" TERM; echo ready; exec sleep 1000'] });
    let politeOut = '';
    let stubbornOut = '';
    polite.process.stdout.on('data', (chunk: Buffer) => (politeOut += chunk.toString()));
    stubborn.process.stdout.on('data', (chunk: Buffer) => (stubbornOut += chunk.toString()));
    await waitForLine(() => politeOut, 'ready');
    await waitForLine(() => stubbornOut, 'ready');
    await engine.stopContainer(polite.id, { graceSeconds: 10 });
    expect(await polite.process.exit).toEqual({ code: 0 });
    expect(politeOut).toBe('ready\nterm\n');
    const started = Date.now();
    await engine.stopContainer(stubborn.id, { graceSeconds: 1 });
    expect(await stubborn.process.exit).toEqual({ code: 137 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    // Already ended: nothing to do.
    await engine.stopContainer(polite.id, { graceSeconds: 1 });
    await expect(engine.stopContainer(`${namespace}/${pod}/app`, { graceSeconds: 1 })).rejects.toThrow(/does not stop a pod's own containers/);
  }, SIDEKICK_CASE_MS);
}

async function waitForLine(output: () => string, line: string): Promise<void> {
  for (const deadline = Date.now() + 60_000; !output().includes(line); ) {
    if (Date.now() > deadline) throw new Error(`no ${line} line; output so far: ${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function sidekickBase(image: string, target: string) {
  return {
    image,
    env: [],
    tty: false,
    openStdin: false,
    labels: {},
    capAdd: [],
    privileged: false,
    autoRemove: true,
    target: { id: target, joinIpc: false },
  };
}

function tarOf(name: string, content: string): NodeJS.ReadableStream {
  const archive = pack();
  archive.entry({ name, mode: 0o644 }, content);
  archive.finalize();
  return archive as unknown as NodeJS.ReadableStream;
}
