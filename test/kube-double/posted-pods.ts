/**
 * TEST DOUBLE OF THE KUBERNETES CONTROL PLANE ONLY (see README.md): `POST …/pods` and
 * `DELETE …/pods/NAME`, for the pods a client creates (sidekick's debug copies). A posted pod
 * becomes a pause container (carrying the posted metadata and spec in a label, which the pod
 * view answers with), a Docker volume per emptyDir, then, as a kubelet runs them, each init
 * container in order to success, then the containers. What the double cannot make is refused
 * with 422 naming the field (volumes other than emptyDir), never silently dropped.
 *
 * Facts (kubernetes/kubernetes, pkg/apis/core/validation and the kubelet): a pod's name is a
 * DNS-1123 subdomain; a name in use is 409 AlreadyExists; the created pod is answered with
 * 201; init containers run sequentially and a failing one (restartPolicy Never) fails the pod
 * without starting the containers; a DELETE answers the pod (200) and a missing one 404.
 */
import { randomBytes } from 'node:crypto';
import { docker, lines } from '../fixtures/docker-cli.js';
import { TEST_TARGET_LABEL } from '../e2e/harness.js';
import { dockerRequest } from './docker-socket.js';
import type { FieldError } from './ephemeral.js';
import { ensurePauseImage } from './pause-image.js';
import { CONTAINER_LABEL, POD_LABEL, POD_OBJECT_LABEL, ROLE_LABEL, SHARE_PID_LABEL } from './pod-view.js';

type Json = Record<string, unknown>;

/** Pods deleted while their containers were still being started: nothing more is made for them. */
const deleted = new Set<string>();

/** Called by the DELETE before the pod's containers are removed. */
export function markPodDeleted(namespace: string, name: string): void {
  deleted.add(`${namespace}/${name}`);
}

interface ContainerJson {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: { name: string; value?: string }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  stdin?: boolean;
  stdinOnce?: boolean;
  tty?: boolean;
  securityContext?: { runAsUser?: number; runAsGroup?: number; privileged?: boolean; capabilities?: { add?: string[]; drop?: string[] } };
}

export type PostPlan = { kind: 'create'; name: string; pod: Json } | { kind: 'invalid'; errors: FieldError[] };

/** Validates a posted Pod as far as the double can make it. Pure. */
export function planPostedPod(body: unknown): PostPlan {
  const errors: FieldError[] = [];
  const pod = (typeof body === 'object' && body !== null ? body : {}) as Json;
  const metadata = (pod.metadata ?? {}) as Json;
  const spec = (pod.spec ?? {}) as Json;
  const name = typeof metadata.name === 'string' ? metadata.name : '';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/.test(name) || name.length > 253) {
    errors.push({ reason: 'FieldValueInvalid', field: 'metadata.name', message: `Invalid value: ${JSON.stringify(name)}` });
  }
  const containers = (Array.isArray(spec.containers) ? spec.containers : []) as ContainerJson[];
  if (containers.length === 0) errors.push({ reason: 'FieldValueRequired', field: 'spec.containers', message: 'Required value' });
  for (const [i, volume] of ((Array.isArray(spec.volumes) ? spec.volumes : []) as Json[]).entries()) {
    if (volume.emptyDir === undefined) errors.push({ reason: 'FieldValueForbidden', field: `spec.volumes[${i}]`, message: 'Forbidden: the kube-double makes emptyDir volumes only' });
  }
  return errors.length > 0 ? { kind: 'invalid', errors } : { kind: 'create', name, pod };
}

/** Creates the pause container and the volumes now, the containers in the background (as a kubelet would). */
export async function createPostedPod(namespace: string, name: string, pod: Json): Promise<void> {
  const spec = pod.spec as Json;
  const share = spec.shareProcessNamespace === true;
  const podLabels = { [TEST_TARGET_LABEL]: '1', [POD_LABEL]: `${namespace}/${name}` };
  const prefix = `sidekick-test-kd-${randomBytes(3).toString('hex')}`;
  const key = `${namespace}/${name}`;
  deleted.delete(key);
  const volumes = new Map<string, string>();
  for (const volume of (spec.volumes ?? []) as Json[]) {
    const volumeName = `${prefix}-${String(volume.name)}`;
    await dockerRequest('POST', '/volumes/create', { Name: volumeName, Labels: podLabels });
    volumes.set(String(volume.name), volumeName);
  }
  const pause = (await dockerRequest('POST', `/containers/create?name=${prefix}-pause`, {
    Image: await ensurePauseImage(),
    Hostname: name.slice(0, 63),
    Labels: { ...podLabels, [ROLE_LABEL]: 'pause', [POD_OBJECT_LABEL]: JSON.stringify({ metadata: pod.metadata, spec }), ...(share ? { [SHARE_PID_LABEL]: 'true' } : {}) },
    HostConfig: { IpcMode: 'shareable' },
  })) as { Id: string };
  await dockerRequest('POST', `/containers/${pause.Id}/start`);
  const make = async (container: ContainerJson, role: 'init' | 'container'): Promise<string | undefined> => {
    if (deleted.has(key)) return undefined;
    const security = container.securityContext ?? {};
    const stdin = container.stdin === true;
    const created = (await dockerRequest('POST', `/containers/create?name=${prefix}-${container.name}`, {
      Image: container.image,
      ...(container.command !== undefined ? { Entrypoint: container.command } : {}),
      ...(container.args !== undefined ? { Cmd: container.args } : {}),
      ...(container.workingDir !== undefined ? { WorkingDir: container.workingDir } : {}),
      ...(security.runAsUser !== undefined ? { User: `${security.runAsUser}${security.runAsGroup === undefined ? '' : `:${security.runAsGroup}`}` } : {}),
      Env: (container.env ?? []).map((e) => `${e.name}=${e.value ?? ''}`),
      Tty: container.tty === true,
      OpenStdin: stdin,
      StdinOnce: stdin && container.stdinOnce === true,
      AttachStdin: stdin,
      AttachStdout: true,
      AttachStderr: true,
      Labels: { ...podLabels, [CONTAINER_LABEL]: container.name, [ROLE_LABEL]: role },
      HostConfig: {
        NetworkMode: `container:${pause.Id}`,
        IpcMode: `container:${pause.Id}`,
        ...(share ? { PidMode: `container:${pause.Id}` } : {}),
        Mounts: (container.volumeMounts ?? []).map((m) => ({ Type: 'volume', Source: volumes.get(m.name), Target: m.mountPath, ReadOnly: m.readOnly === true })),
        CapAdd: security.capabilities?.add ?? [],
        CapDrop: security.capabilities?.drop ?? [],
        Privileged: security.privileged === true,
      },
    })) as { Id: string };
    if (deleted.has(key)) {
      await dockerRequest('DELETE', `/containers/${created.Id}?force=true&v=true`).catch(() => undefined);
      return undefined;
    }
    return created.Id;
  };
  setImmediate(() => {
    void (async () => {
      for (const init of (spec.initContainers ?? []) as ContainerJson[]) {
        const id = await make(init, 'init');
        if (id === undefined) return;
        await dockerRequest('POST', `/containers/${id}/start`);
        const { StatusCode } = (await dockerRequest('POST', `/containers/${id}/wait`)) as { StatusCode: number };
        if (StatusCode !== 0) return;
      }
      for (const container of spec.containers as ContainerJson[]) {
        const id = await make(container, 'container');
        if (id === undefined) return;
        await dockerRequest('POST', `/containers/${id}/start`);
      }
    })().catch(() => undefined);
  });
}

/** The Docker volumes of a posted pod's emptyDirs; removed with the pod. */
export async function removePodVolumes(namespace: string, name: string): Promise<void> {
  const names = lines(await docker(['volume', 'ls', '-q', '--filter', `label=${POD_LABEL}=${namespace}/${name}`]));
  for (const volume of names) await docker(['volume', 'rm', '-f', volume]).catch(() => undefined);
}
