/**
 * End to end: the control-plane double answers a plain HTTP GET of a pod with the Pod
 * object of real Docker containers, and a Kubernetes NotFound Status otherwise. The
 * expected values come from `docker inspect` of the same containers, not from the double.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { docker } from '../fixtures/docker-cli.js';
import { removeTarget, startTarget, waitExited, waitForHttp, type TestTarget } from '../e2e/harness.js';
import { CONTAINER_LABEL, POD_LABEL } from './pod-view.js';
import { startKubeDouble, type KubeDouble } from './server.js';
import { api } from './test-client.js';

const podLabels = (pod: string, container: string): string[] => ['--label', `${POD_LABEL}=${pod}`, '--label', `${CONTAINER_LABEL}=${container}`];

describe('kube-double: GET a pod', () => {
  const targets: TestTarget[] = [];
  let double: KubeDouble | undefined;

  afterEach(async () => {
    for (const t of targets.splice(0)) await removeTarget(t.id);
    await double?.close();
    double = undefined;
  });

  /** The parts of a Pod (or Status) these tests read. */
  interface ApiObject {
    status: { phase: string; containerStatuses: { state: { terminated?: object } }[] };
  }

  async function getJson(path: string): Promise<{ status: number; json: ApiObject }> {
    const { status, json } = await api(double as KubeDouble, 'GET', path);
    return { status, json: json as unknown as ApiObject };
  }

  it('shows a running container as a running pod, with its IP, image and container ID', async () => {
    const { scratchServer } = inject('fixtures');
    // A unique pod name per run: several developers' runs may share the engine.
    const pod = `web-${Date.now().toString(36)}`;
    const target = await startTarget(scratchServer, { dockerArgs: podLabels(`default/${pod}`, 'app') });
    targets.push(target);
    await waitForHttp(target.ip, 8080);
    double = await startKubeDouble();

    const { status, json } = await getJson(`/api/v1/namespaces/default/pods/${pod}`);
    expect(status).toBe(200);
    const [inspect] = JSON.parse(await docker(['inspect', target.id]));
    expect(json).toMatchObject({
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: pod, namespace: 'default' },
      spec: { containers: [{ name: 'app', image: scratchServer }] },
      status: {
        phase: 'Running',
        podIP: target.ip,
        containerStatuses: [
          { name: 'app', ready: true, containerID: `docker://${target.id}`, imageID: `docker://${inspect.Image}`, state: { running: { startedAt: inspect.State.StartedAt.replace(/\.\d+Z$/, 'Z') } } },
        ],
      },
    });
  });

  it('shows an exited container as terminated with its exit code, and the pod as Failed', async () => {
    const { exitsAtOnce } = inject('fixtures');
    const pod = `job-${Date.now().toString(36)}`;
    const target = await startTarget(exitsAtOnce, { dockerArgs: podLabels(`batch/${pod}`, 'main') });
    targets.push(target);
    expect(await waitExited(target.id)).toBe(3);
    double = await startKubeDouble();

    const { status, json } = await getJson(`/api/v1/namespaces/batch/pods/${pod}`);
    expect(status).toBe(200);
    expect(json.status.phase).toBe('Failed');
    expect(json.status.containerStatuses[0]?.state.terminated).toMatchObject({ exitCode: 3, reason: 'Error', containerID: `docker://${target.id}` });
    // The same pod name in another namespace is another pod.
    expect((await getJson(`/api/v1/namespaces/default/pods/${pod}`)).status).toBe(404);
  });

  it('answers a missing pod and an unserved path with NotFound statuses', async () => {
    double = await startKubeDouble();
    const missing = await getJson('/api/v1/namespaces/default/pods/no-such-pod-here');
    expect(missing).toEqual({
      status: 404,
      json: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "no-such-pod-here" not found', reason: 'NotFound', details: { name: 'no-such-pod-here', kind: 'pods' }, code: 404 },
    });
    const unserved = await getJson('/api/v1/nodes');
    expect(unserved.status).toBe(404);
    expect(unserved.json).toMatchObject({ reason: 'NotFound', details: {} });
  });

  it('answers a request without the bearer token, or with another, 401 Unauthorized', async () => {
    double = await startKubeDouble();
    const unauthorised = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 };
    expect(await api(double, 'GET', '/api/v1/namespaces/default/pods/any', undefined, { token: null })).toEqual({ status: 401, json: unauthorised });
    expect(await api(double, 'GET', '/api/v1/namespaces/default/pods/any', undefined, { token: 'not-the-token' })).toEqual({ status: 401, json: unauthorised });
  });
});
