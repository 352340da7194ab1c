/**
 * TEST DOUBLE OF THE KUBERNETES CONTROL PLANE ONLY (see README.md): a pod made of Docker
 * containers, as a kubelet makes one of runtime containers. A "pause" container owns the
 * pod's network and IPC namespaces (shareable IPC) and only sleeps; each of the pod's
 * containers joins both (`--network container:<pause> --ipc container:<pause>`), so they
 * share one IP and loopback, and each keeps its own PID namespace (a pod's default,
 * shareProcessNamespace false), or with `shareProcessNamespace` joins the pause container's
 * (`--pid container:<pause>`: PID 1 is then the pause process, as on a node). Every container carries io.sidekick.test, so the e2e
 * harness's cleanup rules cover it, and the pod labels pod-view.ts reads.
 */
import { randomBytes } from 'node:crypto';
import { docker, lines } from '../fixtures/docker-cli.js';
import { TEST_TARGET_LABEL, removeTarget } from '../e2e/harness.js';
import { ensurePauseImage } from './pause-image.js';
import { CONTAINER_LABEL, POD_LABEL, ROLE_LABEL, SHARE_PID_LABEL } from './pod-view.js';

export interface PodContainerSpec {
  name: string;
  image: string;
  /** Overrides the image's CMD (as a pod's `args` does). */
  args?: string[];
}

export interface DoublePod {
  namespace: string;
  name: string;
  pauseId: string;
  /** Docker container IDs by container name. */
  containers: Map<string, string>;
  /** The pod's IP (the pause container's, on Docker's default bridge). */
  ip: string;
}

/** Starts the pause container, then the pod's containers joined to its network and IPC. */
export async function createPod(namespace: string, name: string, containers: PodContainerSpec[], options: { shareProcessNamespace?: boolean } = {}): Promise<DoublePod> {
  if (containers.length === 0) throw new Error('a pod needs at least one container');
  const pause = await ensurePauseImage();
  const podLabel = ['--label', `${TEST_TARGET_LABEL}=1`, '--label', `${POD_LABEL}=${namespace}/${name}`];
  const prefix = `sidekick-test-kd-${randomBytes(3).toString('hex')}`;
  const pauseId = (
    await docker(['run', '-d', ...podLabel, '--label', `${ROLE_LABEL}=pause`, ...(options.shareProcessNamespace ? ['--label', `${SHARE_PID_LABEL}=true`] : []), '--name', `${prefix}-pause`, '--hostname', name, '--ipc', 'shareable', pause])
  ).trim();
  const pod: DoublePod = { namespace, name, pauseId, containers: new Map(), ip: '' };
  try {
    pod.ip = (await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', pauseId])).trim();
    for (const c of containers) {
      const id = (
        await docker([
          'run', '-d', ...podLabel, '--label', `${CONTAINER_LABEL}=${c.name}`, '--name', `${prefix}-${c.name}`,
          '--network', `container:${pauseId}`, '--ipc', `container:${pauseId}`, ...(options.shareProcessNamespace ? ['--pid', `container:${pauseId}`] : []), c.image, ...(c.args ?? []),
        ])
      ).trim();
      pod.containers.set(c.name, id);
    }
  } catch (error) {
    await deletePod(namespace, name);
    throw error;
  }
  return pod;
}

/** Removes every container of the pod, ephemeral ones included, the pause container last. */
export async function deletePod(namespace: string, name: string): Promise<void> {
  const ids = lines(await docker(['ps', '-aq', '--no-trunc', '--filter', `label=${POD_LABEL}=${namespace}/${name}`]));
  const roles = await Promise.all(ids.map(async (id) => ({ id, role: (await docker(['inspect', '-f', `{{index .Config.Labels "${ROLE_LABEL}"}}`, id])).trim() })));
  // The pod's own containers together (each is checked for zombies first), the pause container, whose namespaces they use, after.
  await Promise.all(roles.filter((r) => r.role !== 'pause').map(({ id }) => removeTarget(id)));
  for (const { id } of roles.filter((r) => r.role === 'pause')) await removeTarget(id);
}
