/**
 * End to end: the `ephemeralcontainers` subresource. A strategic merge patch built by the
 * product's builder (ephemeral-container.ts) adds a Docker container in the target's PID
 * namespace and the pod's network; the pod then lists it and its state; attach over the
 * channel protocol shows its output; the API server's validation refuses what it refuses.
 * What the container sees (the target's processes) comes from busybox `ps` in it, and its
 * namespaces from `docker inspect`, not from the double.
 */
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { CHANNEL, REMOTE_COMMAND_PROTOCOLS, encodeData, encodeResize } from '../../src/engines/kubernetes/channel-protocol.js';
import { addEphemeralContainerRequest, buildEphemeralContainer, type EphemeralContainerJson } from '../../src/engines/kubernetes/ephemeral-container.js';
import { docker, lines } from '../fixtures/docker-cli.js';
import { POD_LABEL } from './pod-view.js';
import { createPod, deletePod, type DoublePod } from './pods.js';
import { startKubeDouble, type KubeDouble } from './server.js';
import { api, collectSession, defaultToolboxImage, openSession, podStatus, waitForContainerState } from './test-client.js';

describe('kube-double: ephemeral containers', () => {
  const pods: [string, string][] = [];
  let double: KubeDouble | undefined;
  let toolbox = '';

  beforeAll(async () => {
    toolbox = await defaultToolboxImage();
  });

  afterEach(async () => {
    for (const [namespace, name] of pods.splice(0)) await deletePod(namespace, name);
    await double?.close();
    double = undefined;
  });

  async function appPod(): Promise<DoublePod> {
    const name = `eph-${Date.now().toString(36)}`;
    pods.push(['default', name]);
    const pod = await createPod('default', name, [{ name: 'app', image: inject('fixtures').scratchServer }]);
    double = await startKubeDouble();
    return pod;
  }

  const patch = (pod: DoublePod, container: object, contentType?: string): ReturnType<typeof api> => {
    const request = addEphemeralContainerRequest(pod.namespace, pod.name, container as EphemeralContainerJson);
    return api(double as KubeDouble, request.method, request.path, request.body, contentType !== undefined ? { contentType } : {});
  };

  const dockerIdOf = async (pod: DoublePod, container: string): Promise<string> => {
    const ids = lines(await docker(['ps', '-aq', '--no-trunc', '--filter', `label=${POD_LABEL}=default/${pod.name}`, '--filter', `label=io.sidekick.kube-double.container=${container}`]));
    expect(ids).toHaveLength(1);
    return ids[0] as string;
  };

  it("runs in the target's PID namespace and the pod's network; attach shows its output; the pod shows it waiting or running, then terminated with its exit code", async () => {
    const pod = await appPod();
    const container = buildEphemeralContainer({
      targetContainer: 'app',
      shortId: 'ps1',
      image: toolbox,
      // Waits for a line on stdin, so that nothing is written before the client attaches.
      command: ['sh', '-c', 'read go; ps -o pid,comm; exit 3'],
      stdin: true,
      tty: false,
    });
    const { status, json } = await patch(pod, container);
    expect(status).toBe(200);
    expect(json.kind).toBe('Pod');
    expect(json.spec?.ephemeralContainers).toEqual([{ ...container, terminationMessagePath: '/dev/termination-log', imagePullPolicy: 'IfNotPresent' }]);
    const listed = podStatus(json).ephemeralContainerStatuses?.find((s) => s.name === container.name);
    expect(listed?.state.waiting ?? listed?.state.running).toBeDefined();

    const id = await dockerIdOf(pod, container.name);
    const hostConfig = JSON.parse(await docker(['inspect', '-f', '{{json .HostConfig}}', id])) as Record<string, unknown>;
    expect(hostConfig).toMatchObject({
      PidMode: `container:${pod.containers.get('app')}`,
      NetworkMode: `container:${pod.pauseId}`,
      IpcMode: `container:${pod.pauseId}`,
      CapAdd: ['SYS_PTRACE'],
    });

    await waitForContainerState(double as KubeDouble, 'default', pod.name, container.name, (s) => s.running !== undefined);
    const conn = await openSession(double as KubeDouble, `/api/v1/namespaces/default/pods/${pod.name}/attach?container=${container.name}&stdin=true&stdout=true&stderr=true`, REMOTE_COMMAND_PROTOCOLS);
    expect(conn.protocol).toBe('v5.channel.k8s.io');
    const session = collectSession(conn);
    conn.sendBinary(encodeData(CHANNEL.stdin, Buffer.from('go\n')));
    const { stdout, stderr, outcome, sawReady } = await session;
    expect(sawReady).toBe(true);
    expect(stderr).toBe('');
    // PID 1 of the namespace is the target's server; the shell and ps are the ephemeral container's.
    expect(stdout.split('\n').map((l) => l.trim().split(/\s+/))).toEqual(expect.arrayContaining([['1', 'server'], expect.arrayContaining(['ps'])]));
    // Attach reports success when the stream ends, as a kubelet does; the exit code is in the pod's status.
    expect(outcome).toEqual({ kind: 'exited', exitCode: 0 });
    const terminated = await waitForContainerState(double as KubeDouble, 'default', pod.name, container.name, (s) => s.terminated !== undefined);
    expect(terminated.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  });

  it('with a TTY (kubectl debug -it): attach resizes its terminal and carries its input', async () => {
    const pod = await appPod();
    // Prints nothing until the terminal has the size the client sends (bounded wait), so nothing is lost before attach.
    const script = 'i=0; while [ "$(stty size 2>/dev/null)" != "30 100" ] && [ $i -lt 3000 ]; do usleep 10000; i=$((i+1)); done; echo "size $(stty size)"; read x; echo "got $x"; exit 5';
    const container = buildEphemeralContainer({ targetContainer: 'app', shortId: 'tty1', image: toolbox, command: ['sh', '-c', script], stdin: true, tty: true });
    expect((await patch(pod, container)).status).toBe(200);
    await waitForContainerState(double as KubeDouble, 'default', pod.name, container.name, (s) => s.running !== undefined);
    const conn = await openSession(double as KubeDouble, `/api/v1/namespaces/default/pods/${pod.name}/attach?container=${container.name}&stdin=true&stdout=true&tty=true`, REMOTE_COMMAND_PROTOCOLS);
    let answered = false;
    const session = collectSession(conn, (soFar) => {
      if (!answered && soFar.includes('size 30 100')) {
        answered = true;
        conn.sendBinary(encodeData(CHANNEL.stdin, Buffer.from('hi\r')));
      }
    });
    conn.sendBinary(encodeResize({ columns: 100, rows: 30 }));
    const { stdout } = await session;
    expect(stdout).toContain('size 30 100\r\n');
    expect(stdout).toContain('got hi\r\n');
    const terminated = await waitForContainerState(double as KubeDouble, 'default', pod.name, container.name, (s) => s.terminated !== undefined);
    expect(terminated.terminated).toMatchObject({ exitCode: 5 });
  });

  it("joins the pause container's PID namespace when it names no target", async () => {
    const pod = await appPod();
    const { targetContainerName: _, ...untargeted } = buildEphemeralContainer({ targetContainer: 'app', shortId: 'n1', image: toolbox, command: ['true'], stdin: false, tty: false });
    expect((await patch(pod, untargeted)).status).toBe(200);
    const id = await dockerIdOf(pod, untargeted.name);
    expect((await docker(['inspect', '-f', '{{.HostConfig.PidMode}}', id])).trim()).toBe(`container:${pod.pauseId}`);
  });

  it('shows one whose command does not exist as terminated with StartError', async () => {
    const pod = await appPod();
    const container = buildEphemeralContainer({ targetContainer: 'app', shortId: 'bad1', image: toolbox, command: ['/no/such/command'], stdin: false, tty: false });
    expect((await patch(pod, container)).status).toBe(200);
    const state = await waitForContainerState(double as KubeDouble, 'default', pod.name, container.name, (s) => s.terminated !== undefined);
    expect(state.terminated).toMatchObject({ exitCode: 128, reason: 'StartError', message: expect.stringContaining('/no/such/command') });
  });

  it("accepts one whose image the engine lacks and shows it waiting with the kubelet's pull error", async () => {
    const pod = await appPod();
    const missing = `sidekick-test/no-such-image:${Date.now().toString(36)}`;
    const never = buildEphemeralContainer({ targetContainer: 'app', shortId: 'img1', image: missing, command: ['sh'], stdin: false, tty: false, imagePullPolicy: 'Never' });
    const pulled = buildEphemeralContainer({ targetContainer: 'app', shortId: 'img2', image: missing, command: ['sh'], stdin: false, tty: false });
    expect((await patch(pod, never)).status).toBe(200);
    const { status, json } = await patch(pod, pulled);
    expect(status).toBe(200);
    expect(podStatus(json).ephemeralContainerStatuses).toEqual([
      { name: never.name, state: { waiting: { reason: 'ErrImageNeverPull', message: `Container image "${missing}" is not present with pull policy of Never` } }, ready: false, restartCount: 0, image: missing, imageID: '', started: false },
      expect.objectContaining({ name: pulled.name, image: missing, state: { waiting: expect.objectContaining({ reason: 'ErrImagePull' }) } }),
    ]);
    // Nothing runs for them, so there is nothing to attach to.
    await expect(openSession(double as KubeDouble, `/api/v1/namespaces/default/pods/${pod.name}/attach?container=${never.name}&stdout=true`, REMOTE_COMMAND_PROTOCOLS)).rejects.toThrow(/400 .*is not running/);
  });

  it('refuses what the API server refuses, with its statuses', async () => {
    const pod = await appPod();
    const base = buildEphemeralContainer({ targetContainer: 'app', shortId: 'v1', image: toolbox, command: ['true'], stdin: false, tty: false });
    const invalid = (field: string, reason: string, message: string): object => ({
      status: 422,
      json: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `Pod "${pod.name}" is invalid: ${field}: ${message}`,
        reason: 'Invalid',
        details: { name: pod.name, kind: 'Pod', causes: [{ reason, message, field }] },
        code: 422,
      },
    });

    expect(await patch(pod, { ...base, name: 'app' })).toEqual(invalid('spec.ephemeralContainers[0].name', 'FieldValueDuplicate', 'Duplicate value: "app"'));
    expect(await patch(pod, { ...base, targetContainerName: 'nope' })).toEqual(invalid('spec.ephemeralContainers[0].targetContainerName', 'FieldValueNotFound', 'Not found: "nope"'));
    expect(await patch(pod, { ...base, ports: [{ containerPort: 80 }] })).toEqual(
      invalid('spec.ephemeralContainers[0].ports', 'FieldValueForbidden', 'Forbidden: cannot be set for an Ephemeral Container'),
    );
    expect(await patch(pod, { ...base, image: '' })).toEqual(invalid('spec.ephemeralContainers[0].image', 'FieldValueRequired', 'Required value'));
    expect((await patch(pod, base, 'application/json')).json).toMatchObject({ code: 415, reason: 'UnsupportedMediaType' });
    const missingPod = addEphemeralContainerRequest('default', 'no-such-pod-here', base);
    expect(await api(double as KubeDouble, missingPod.method, missingPod.path, missingPod.body)).toMatchObject({ status: 404, json: { reason: 'NotFound', details: { name: 'no-such-pod-here', kind: 'pods' } } });
    // None of those made a container.
    expect(lines(await docker(['ps', '-aq', '--filter', `label=${POD_LABEL}=default/${pod.name}`]))).toHaveLength(2);

    // Once added, the same patch again changes nothing; a different one with its name is refused.
    expect((await patch(pod, base)).status).toBe(200);
    expect((await patch(pod, base)).status).toBe(200);
    expect(lines(await docker(['ps', '-aq', '--filter', `label=${POD_LABEL}=default/${pod.name}`]))).toHaveLength(3);
    expect(await patch(pod, { ...base, command: ['false'] })).toEqual(
      invalid('spec.ephemeralContainers', 'FieldValueForbidden', `Forbidden: existing ephemeral containers "${base.name}" may not be changed`),
    );
    expect(await patch(pod, { ...base, name: 'sidekick-app-v2', targetContainerName: base.name })).toEqual(
      invalid('spec.ephemeralContainers[1].targetContainerName', 'FieldValueNotFound', `Not found: "${base.name}"`),
    );
  });
});
