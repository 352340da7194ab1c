/**
 * End to end: createPod makes a pod the kubelet's way out of Docker containers (a pause
 * container owning network and IPC, the pod's containers joined to both), the double shows
 * it as one Pod, and deletePod removes every container. Expected values come from
 * `docker inspect`, not from the double.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { docker, lines } from '../fixtures/docker-cli.js';
import { waitForHttp } from '../e2e/harness.js';
import { POD_LABEL } from './pod-view.js';
import { createPod, deletePod } from './pods.js';
import { startKubeDouble, type KubeDouble } from './server.js';
import { api, podStatus } from './test-client.js';

describe('kube-double: pods made of Docker containers', () => {
  const pods: [string, string][] = [];
  let double: KubeDouble | undefined;

  afterEach(async () => {
    for (const [namespace, name] of pods.splice(0)) await deletePod(namespace, name);
    await double?.close();
    double = undefined;
  });

  const podIds = async (namespace: string, name: string): Promise<string[]> =>
    lines(await docker(['ps', '-aq', '--no-trunc', '--filter', `label=${POD_LABEL}=${namespace}/${name}`]));

  it("joins the pod's containers to the pause container's network and IPC, shows the pod without it, and deletes it all", async () => {
    const { scratchServer, tcpServer } = inject('fixtures');
    const name = `web-${Date.now().toString(36)}`;
    pods.push(['default', name]);
    const pod = await createPod('default', name, [
      { name: 'app', image: scratchServer },
      { name: 'sidecar', image: tcpServer },
    ]);
    await waitForHttp(pod.ip, 8080);

    const hostConfig = async (id: string): Promise<{ NetworkMode: string; IpcMode: string; PidMode: string }> =>
      JSON.parse(await docker(['inspect', '-f', '{{json .HostConfig}}', id])) as { NetworkMode: string; IpcMode: string; PidMode: string };
    expect(await hostConfig(pod.pauseId)).toMatchObject({ IpcMode: 'shareable' });
    for (const id of pod.containers.values()) {
      // Each keeps its own PID namespace: a pod's default (shareProcessNamespace false).
      expect(await hostConfig(id)).toMatchObject({ NetworkMode: `container:${pod.pauseId}`, IpcMode: `container:${pod.pauseId}`, PidMode: '' });
    }
    expect(pod.ip).toBe((await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', pod.pauseId])).trim());
    expect(pod.ip).not.toBe('');

    double = await startKubeDouble();
    const { status, json } = await api(double, 'GET', `/api/v1/namespaces/default/pods/${name}`);
    expect(status).toBe(200);
    expect(json.spec?.containers).toEqual([
      { name: 'app', image: scratchServer },
      { name: 'sidecar', image: tcpServer },
    ]);
    expect(podStatus(json)).toMatchObject({
      phase: 'Running',
      podIP: pod.ip,
      containerStatuses: [
        { name: 'app', containerID: `docker://${pod.containers.get('app')}` },
        { name: 'sidecar', containerID: `docker://${pod.containers.get('sidecar')}` },
      ],
    });
    expect(json.spec?.ephemeralContainers).toBeUndefined();

    expect(await podIds('default', name)).toHaveLength(3);
    await deletePod('default', name);
    expect(await podIds('default', name)).toEqual([]);
    expect((await api(double, 'GET', `/api/v1/namespaces/default/pods/${name}`)).status).toBe(404);
  });
});
