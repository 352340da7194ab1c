/**
 * TEST DOUBLE OF THE KUBERNETES CONTROL PLANE ONLY (see README.md): how the double shows
 * Docker containers as a Pod object. Pure: `docker inspect` JSON in, Pod JSON out.
 *
 * A container belongs to pod NS/NAME when it carries the label
 * `io.sidekick.kube-double.pod=NS/NAME`; its container name in the pod is the label
 * `io.sidekick.kube-double.container`. A container labelled
 * `io.sidekick.kube-double.role=pause` owns the pod's network (pods.ts) and is not listed;
 * one labelled `role=ephemeral` is an ephemeral container, whose EphemeralContainer object
 * (as the PATCH gave it) is kept in the label `io.sidekick.kube-double.ephemeral-spec`.
 * Containers started without a pause container (the first tests did so) still make a pod:
 * the first one by creation time then gives it its IP. The Pod's shape follows the API reference of
 * core/v1 Pod (metadata, spec.containers, status.phase, status.podIP,
 * status.containerStatuses[].state.{waiting,running,terminated}); timestamps are RFC 3339
 * at second precision, as metav1.Time serialises them.
 */

export const POD_LABEL = 'io.sidekick.kube-double.pod';
export const CONTAINER_LABEL = 'io.sidekick.kube-double.container';
/** On the pause container of a pod made with shareProcessNamespace (pods.ts). */
export const SHARE_PID_LABEL = 'io.sidekick.kube-double.share-process-namespace';
export const ROLE_LABEL = 'io.sidekick.kube-double.role';
export const EPHEMERAL_SPEC_LABEL = 'io.sidekick.kube-double.ephemeral-spec';
/** On the pause container of a posted pod (posted-pods.ts): `{"metadata","spec"}` as posted. */
export const POD_OBJECT_LABEL = 'io.sidekick.kube-double.pod-object';
/**
 * On a placeholder container that never runs (its image could not be had): the
 * `{"reason","message"}` of the waiting state the kubelet would report.
 */
export const WAITING_LABEL = 'io.sidekick.kube-double.waiting';
export type Role = 'pause' | 'init' | 'container' | 'ephemeral';

export function roleOf(c: DockerInspect): Role {
  const role = c.Config.Labels?.[ROLE_LABEL];
  return role === 'pause' || role === 'ephemeral' || role === 'init' ? role : 'container';
}

export function containerNameOf(c: DockerInspect): string {
  return c.Config.Labels?.[CONTAINER_LABEL] ?? c.Id.slice(0, 12);
}

/** The part of `docker inspect` this view reads. */
export interface DockerInspect {
  Id: string;
  Created: string;
  Image: string;
  RestartCount?: number;
  State: { Status: string; Running: boolean; ExitCode: number; StartedAt: string; FinishedAt: string; OOMKilled?: boolean; Error?: string };
  Config: { Image: string; Labels?: Record<string, string> | null };
  NetworkSettings?: { IPAddress?: string; Networks?: Record<string, { IPAddress?: string }> | null };
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
const EPOCH = '1970-01-01T00:00:00Z';

/** RFC 3339 at second precision; Docker's nanoseconds are dropped as metav1.Time does. */
export function kubeTime(dockerTime: string): string {
  const match = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(dockerTime);
  if (!match) throw new Error(`not a Docker UTC timestamp: ${dockerTime}`);
  return `${match[1]}Z`;
}

/** A stable UID-shaped string from a container ID, so the same pod keeps its uid. */
function uidFrom(id: string): string {
  const h = id.padEnd(32, '0');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function containerState(c: DockerInspect): object {
  const waiting = c.Config.Labels?.[WAITING_LABEL];
  if (waiting !== undefined) return { waiting: JSON.parse(waiting) as object };
  const s = c.State;
  if (s.Running) return { running: { startedAt: kubeTime(s.StartedAt) } };
  // Being removed (a pod being deleted): its process has been killed, as a kubelet's terminated container.
  if (s.Status === 'exited' || s.Status === 'dead' || s.Status === 'removing') {
    const reason = s.OOMKilled ? 'OOMKilled' : s.ExitCode === 0 ? 'Completed' : 'Error';
    return {
      terminated: {
        exitCode: s.ExitCode,
        reason,
        startedAt: kubeTime(s.StartedAt),
        finishedAt: kubeTime(s.FinishedAt),
        containerID: `docker://${c.Id}`,
      },
    };
  }
  if (s.Status === 'created' && s.Error) {
    // A start that failed (no such command, say): containerd's CRI reports it as terminated
    // with exit code 128, reason StartError and the runtime's error (pkg/cri/server/
    // container_start.go), its times the Unix epoch. Docker leaves such a container "created".
    return {
      terminated: {
        exitCode: 128,
        reason: 'StartError',
        message: s.Error,
        startedAt: EPOCH,
        finishedAt: EPOCH,
        containerID: `docker://${c.Id}`,
      },
    };
  }
  return { waiting: { reason: 'ContainerCreating' } };
}

function podIp(c: DockerInspect | undefined): string | undefined {
  const settings = c?.NetworkSettings;
  if (settings?.IPAddress) return settings.IPAddress;
  for (const network of Object.values(settings?.Networks ?? {})) if (network.IPAddress) return network.IPAddress;
  return undefined;
}

function phase(containers: DockerInspect[]): string {
  if (containers.some((c) => c.State.Running)) return 'Running';
  const finished = containers.filter((c) => c.State.Status === 'exited' || c.State.Status === 'dead');
  if (finished.length === containers.length) return finished.every((c) => c.State.ExitCode === 0) ? 'Succeeded' : 'Failed';
  return 'Pending';
}

/** The Pod for its containers (a pause container, or else the first, owning the pod's network). */
export function podFromContainers(namespace: string, name: string, containers: DockerInspect[]): object {
  const ordered = [...containers].sort((a, b) => a.Created.localeCompare(b.Created));
  const pause = ordered.find((c) => roleOf(c) === 'pause');
  const regular = ordered.filter((c) => roleOf(c) === 'container');
  const init = ordered.filter((c) => roleOf(c) === 'init');
  const ephemeral = ordered.filter((c) => roleOf(c) === 'ephemeral');
  const owner = pause ?? regular[0];
  if (owner === undefined) throw new Error(`pod ${namespace}/${name} has no containers`);
  const ip = podIp(owner);
  const postedText = pause?.Config.Labels?.[POD_OBJECT_LABEL];
  const posted = postedText === undefined ? undefined : (JSON.parse(postedText) as { metadata?: { labels?: object; annotations?: object }; spec: { containers: { name: string }[]; initContainers?: { name: string }[] } });
  // A posted pod lists every container of its spec; one not made yet waits as the kubelet says.
  const statuses = (made: DockerInspect[], names: string[] | undefined, waiting: string): object[] =>
    names === undefined
      ? made.map((c) => containerStatus(c, c.State.Running))
      : names.map((n) => {
          const c = made.find((m) => containerNameOf(m) === n);
          return c === undefined ? { name: n, state: { waiting: { reason: waiting } }, ready: false, restartCount: 0, started: false } : containerStatus(c, c.State.Running);
        });
  const initFailed = init.some((c) => (c.State.Status === 'exited' || c.State.Status === 'dead') && c.State.ExitCode !== 0);
  const initNames = posted?.spec.initContainers?.map((c) => c.name);
  return {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name,
      namespace,
      uid: uidFrom(owner.Id),
      creationTimestamp: kubeTime(owner.Created),
      ...(posted?.metadata?.labels !== undefined ? { labels: posted.metadata.labels } : {}),
      ...(posted?.metadata?.annotations !== undefined ? { annotations: posted.metadata.annotations } : {}),
    },
    spec: {
      ...(posted !== undefined ? posted.spec : { containers: regular.map((c) => ({ name: containerNameOf(c), image: c.Config.Image })) }),
      ...(ephemeral.length > 0 ? { ephemeralContainers: ephemeral.map(ephemeralSpec) } : {}),
      ...(pause?.Config.Labels?.[SHARE_PID_LABEL] === 'true' ? { shareProcessNamespace: true } : {}),
      restartPolicy: 'Never',
    },
    status: {
      phase: initFailed ? 'Failed' : regular.length > 0 ? phase(regular) : 'Pending',
      ...(ip !== undefined ? { podIP: ip, podIPs: [{ ip }] } : {}),
      ...(owner.State.StartedAt !== ZERO_TIME ? { startTime: kubeTime(owner.State.StartedAt) } : {}),
      ...(init.length > 0 || (initNames?.length ?? 0) > 0 ? { initContainerStatuses: statuses(init, initNames, 'PodInitializing') } : {}),
      containerStatuses: statuses(regular, posted?.spec.containers.map((c) => c.name), 'PodInitializing'),
      // An ephemeral container is never "ready": it has no probes (api/core/v1 types.go).
      ...(ephemeral.length > 0 ? { ephemeralContainerStatuses: ephemeral.map((c) => containerStatus(c, false)) } : {}),
    },
  };
}

function containerStatus(c: DockerInspect, ready: boolean): object {
  const common = { name: containerNameOf(c), state: containerState(c), ready, restartCount: c.RestartCount ?? 0 };
  if (c.Config.Labels?.[WAITING_LABEL] !== undefined) {
    // A kubelet that has no image yet reports the image asked for, and no image or container ID.
    return { ...common, image: (ephemeralSpec(c) as { image?: string }).image ?? '', imageID: '', started: false };
  }
  return { ...common, image: c.Config.Image, imageID: `docker://${c.Image}`, containerID: `docker://${c.Id}`, started: c.State.Running };
}

function ephemeralSpec(c: DockerInspect): object {
  const text = c.Config.Labels?.[EPHEMERAL_SPEC_LABEL];
  if (text === undefined) return { name: containerNameOf(c), image: c.Config.Image };
  return JSON.parse(text) as object;
}

/** The Status an API server answers for a missing object (metav1.Status, reason NotFound). */
export function notFoundStatus(kind: string, name: string): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `${kind} "${name}" not found`,
    reason: 'NotFound',
    details: { name, kind },
    code: 404,
  };
}

/** The Status for a path the server does not serve (details empty, which clients rely on). */
export function noSuchResourceStatus(): object {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: 'the server could not find the requested resource',
    reason: 'NotFound',
    details: {},
    code: 404,
  };
}
