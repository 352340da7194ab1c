/**
 * A container of a pod as the engine-neutral Target and ContainerSummary (core/target.ts). Pure.
 *
 * Facts (kubernetes/kubernetes staging/src/k8s.io/api/core/v1/types.go):
 * - All containers of a pod share its network, IPC and UTS namespaces; the PID namespace
 *   only with `shareProcessNamespace: true`. `hostNetwork`, `hostPID`, `hostIPC` put the
 *   pod in the node's namespaces; with hostNetwork the UTS namespace is the node's too.
 * - A container's status (`containerStatuses[]`) has one of `state.running`, `.waiting`,
 *   `.terminated`, the previous run in `lastState`, `restartCount`, `imageID`, and
 *   `containerID` as `<runtime>://<id>`: the ID the runtime gave the container, the one its
 *   processes' cgroups are named after.
 * - The container's securityContext overrides the pod's for runAsUser/runAsGroup.
 * - `kubectl.kubernetes.io/default-container` names the container kubectl exec/logs/debug
 *   take when none is given (kubectl/pkg/cmd/util/podcmd/podcmd.go).
 */
import { SidekickError } from '../../core/errors.js';
import type { NamespaceMode, NamespaceModes } from '../../core/namespace-mode.js';
import type { ContainerSummary, Target, TargetMount, TargetStatus } from '../../core/target.js';
import type { ContainerStatusJson } from './ephemeral-container.js';
import { parseQuantity } from './quantity.js';

export const DEFAULT_CONTAINER_ANNOTATION = 'kubectl.kubernetes.io/default-container';

interface SecurityContextJson {
  runAsUser?: number;
  runAsGroup?: number;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { add?: string[]; drop?: string[] };
  appArmorProfile?: { type?: string; localhostProfile?: string };
  seccompProfile?: { type?: string; localhostProfile?: string };
}

export interface PodContainerJson {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: { name: string; value?: string; valueFrom?: object }[];
  resources?: { limits?: Record<string, string> };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  securityContext?: SecurityContextJson;
  stdin?: boolean;
  tty?: boolean;
}

export interface PodStatusEntryJson {
  name: string;
  containerID?: string;
  imageID?: string;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string };
    terminated?: { exitCode: number; signal?: number; startedAt?: string; finishedAt?: string; reason?: string; message?: string };
  };
  lastState?: { terminated?: { exitCode: number; finishedAt?: string; reason?: string } };
}

/** The Pod as far as the mapping reads it (assignable to ephemeral-container.ts's PodJson). */
export interface FullPodJson {
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; creationTimestamp?: string; deletionTimestamp?: string };
  spec?: {
    containers?: PodContainerJson[];
    initContainers?: { name: string }[];
    ephemeralContainers?: { name: string }[];
    shareProcessNamespace?: boolean;
    hostNetwork?: boolean;
    hostPID?: boolean;
    hostIPC?: boolean;
    hostUsers?: boolean;
    restartPolicy?: string;
    volumes?: ({ name: string } & Record<string, unknown>)[];
    securityContext?: SecurityContextJson;
  };
  status?: {
    phase?: string;
    podIPs?: { ip: string }[];
    containerStatuses?: PodStatusEntryJson[];
    initContainerStatuses?: PodStatusEntryJson[];
    ephemeralContainerStatuses?: PodStatusEntryJson[];
  };
}

/** The target's ID for the engine: namespace/pod/container. */
export function podContainerId(namespace: string, pod: string, container: string): string {
  return `${namespace}/${pod}/${container}`;
}

export function parsePodContainerId(id: string): { namespace: string; pod: string; container: string } | undefined {
  const parts = id.split('/');
  if (parts.length !== 3 || parts.some((part) => part === '')) return undefined;
  const [namespace, pod, container] = parts as [string, string, string];
  return { namespace, pod, container };
}

/** The container a command means when only the pod is named, as kubectl chooses it; a pod of several without a default is refused. */
export function defaultContainer(pod: FullPodJson): string {
  const containers = (pod.spec?.containers ?? []).map((c) => c.name);
  const named = pod.metadata?.annotations?.[DEFAULT_CONTAINER_ANNOTATION];
  if (named !== undefined && containers.includes(named)) return named;
  if (containers.length === 1) return containers[0]!;
  const name = pod.metadata?.name ?? '';
  throw new SidekickError('TARGET_AMBIGUOUS', `pod ${name} has ${containers.length} containers (${containers.join(', ')}); sidekick will not guess which one to debug.`, {
    hint: `Name one: pod/${name}/${containers[0] ?? 'CONTAINER'}.`,
  });
}

/** The ID the container runtime gave the container ("containerd://abc" → "abc"); "" before it started. */
export function runtimeContainerId(status: ContainerStatusJson | undefined): string {
  const id = status?.containerID ?? '';
  const separator = id.indexOf('://');
  return separator < 0 ? id : id.slice(separator + 3);
}

export function podTarget(pod: FullPodJson, containerName: string): Target {
  const namespace = pod.metadata?.namespace ?? 'default';
  const podName = pod.metadata?.name ?? '';
  const spec = pod.spec ?? {};
  const container = (spec.containers ?? []).find((c) => c.name === containerName);
  if (container === undefined) {
    const names = (spec.containers ?? []).map((c) => c.name);
    throw new SidekickError('TARGET_NOT_FOUND', `pod ${podName} has no container named ${containerName}.`, {
      hint: names.length > 0 ? `Its containers: ${names.join(', ')}.` : 'Check the pod with kubectl describe pod.',
    });
  }
  const status = (pod.status?.containerStatuses ?? []).find((s) => s.name === containerName);
  const security = { ...spec.securityContext, ...container.securityContext };
  const limits = container.resources?.limits ?? {};
  const cpu = parseQuantity(limits.cpu ?? '') ?? 0;
  const terminated = status?.state?.terminated;
  return {
    id: podContainerId(namespace, podName, containerName),
    runtimeId: runtimeContainerId(status),
    name: `pod/${podName}/${containerName}`,
    image: container.image ?? '',
    imageId: status?.imageID ?? '',
    status: containerStatus(pod, status),
    hostPid: 0,
    startedAt: status?.state?.running?.startedAt ?? terminated?.startedAt ?? '',
    restartCount: status?.restartCount ?? 0,
    exitCode: terminated?.exitCode ?? status?.lastState?.terminated?.exitCode ?? 0,
    user: security.runAsUser === undefined ? '' : security.runAsGroup === undefined ? String(security.runAsUser) : `${security.runAsUser}:${security.runAsGroup}`,
    // Values from secrets and config maps are the kubelet's to resolve; the process's own environment shows them.
    env: (container.env ?? []).filter((e) => e.value !== undefined || e.valueFrom === undefined).map((e) => `${e.name}=${e.value ?? ''}`),
    entrypoint: container.command ?? [],
    cmd: container.args ?? [],
    workingDir: container.workingDir ?? '',
    labels: podMarks(pod),
    // A debug copy goes when its session ends, unless made with --keep; a pod's own containers are not sidekick's to remove.
    ...(isSidekickCopy(pod) ? { autoRemove: pod.metadata?.annotations?.[KEPT_ANNOTATION] !== 'true' } : {}),
    readOnlyRootfs: security.readOnlyRootFilesystem === true,
    tty: container.tty === true,
    openStdin: container.stdin === true,
    privileged: security.privileged === true,
    created: pod.metadata?.creationTimestamp ?? '',
    health: '',
    ...(terminated?.finishedAt !== undefined ? { finishedAt: terminated.finishedAt } : {}),
    ...(terminated?.reason === 'OOMKilled' || status?.lastState?.terminated?.reason === 'OOMKilled' ? { oomKilled: true } : {}),
    restartPolicy: { name: restartPolicyName(spec.restartPolicy), maximumRetryCount: 0 },
    addresses: (pod.status?.podIPs ?? []).map(({ ip }) => ({ network: 'pod', ipv4: ip.includes(':') ? '' : ip, ipv6: ip.includes(':') ? ip : '', gateway: '' })),
    mounts: (container.volumeMounts ?? []).map((mount) => volumeMount(mount, spec.volumes ?? [])),
    networks: ['pod'],
    limits: { memoryBytes: parseQuantity(limits.memory ?? '') ?? 0, nanoCpus: Math.round(cpu * 1e9), cpuQuotaMicros: 0, cpuPeriodMicros: 0, pidsLimit: 0 },
    appArmorProfile: security.appArmorProfile?.localhostProfile ?? security.appArmorProfile?.type ?? '',
    capAdd: security.capabilities?.add ?? [],
    capDrop: security.capabilities?.drop ?? [],
    securityOpt: security.seccompProfile?.type === undefined ? [] : [`seccomp=${security.seccompProfile.localhostProfile ?? security.seccompProfile.type}`],
    namespaceModes: podNamespaceModes(pod),
  };
}

export function podNamespaceModes(pod: FullPodJson): NamespaceModes {
  const spec = pod.spec ?? {};
  const podMode: NamespaceMode = { kind: 'pod', pod: pod.metadata?.name ?? '' };
  const host: NamespaceMode = { kind: 'host' };
  return {
    network: spec.hostNetwork === true ? host : podMode,
    pid: spec.hostPID === true ? host : spec.shareProcessNamespace === true ? podMode : { kind: 'private' },
    ipc: spec.hostIPC === true ? host : podMode,
    uts: spec.hostNetwork === true ? host : podMode,
    cgroup: { kind: 'private' },
    user: spec.hostUsers === false ? { kind: 'private' } : host,
  };
}

/** sidekick's marks are pod annotations of this prefix (a debug copy's: pod-copy.ts); their values are not label values. */
const MARK_PREFIX = 'io.sidekick.';
/** On a debug copy made with --keep: the user keeps it, prune (without --all) leaves it. */
export const KEPT_ANNOTATION = 'io.sidekick.kept';

/** A pod's labels with sidekick's marks from its annotations: both are the pod object's own. */
export function podMarks(pod: FullPodJson): Record<string, string> {
  const marks: Record<string, string> = { ...(pod.metadata?.labels ?? {}) };
  for (const [key, value] of Object.entries(pod.metadata?.annotations ?? {})) if (key.startsWith(MARK_PREFIX) && key !== KEPT_ANNOTATION) marks[key] = value;
  return marks;
}

/** Whether the pod is one of sidekick's debug copies (pod-copy.ts). */
export function isSidekickCopy(pod: FullPodJson): boolean {
  return podMarks(pod)['io.sidekick.kind'] === 'copy';
}

/** One summary per container of each pod, for `inspect --all`, `sessions` and completion. */
export function podSummaries(pods: FullPodJson[]): ContainerSummary[] {
  return pods.flatMap((pod) =>
    (pod.spec?.containers ?? []).map((container) => {
      const status = (pod.status?.containerStatuses ?? []).find((s) => s.name === container.name);
      const podName = pod.metadata?.name ?? '';
      return {
        id: podContainerId(pod.metadata?.namespace ?? 'default', podName, container.name),
        names: [`pod/${podName}/${container.name}`],
        image: container.image ?? '',
        status: containerStatus(pod, status),
        labels: podMarks(pod),
        // A pod's labels and annotations are set on the object itself: no image adds to them.
        labelsSetOnObject: true,
        ...(status?.imageID ? { imageId: status.imageID } : {}),
        networkMode: podNamespaceModes(pod).network,
      };
    }),
  );
}

function containerStatus(pod: FullPodJson, status: PodStatusEntryJson | undefined): TargetStatus {
  if (pod.metadata?.deletionTimestamp !== undefined) return 'removing';
  const state = status?.state;
  if (state?.running !== undefined) return 'running';
  if (state?.terminated !== undefined) return 'exited';
  if (state?.waiting !== undefined) return (status?.restartCount ?? 0) > 0 ? 'restarting' : 'created';
  return 'unknown';
}

function restartPolicyName(policy: string | undefined): string {
  switch (policy) {
    case 'Never':
      return 'no';
    case 'OnFailure':
      return 'on-failure';
    default:
      return 'always';
  }
}

/** A volume mount, typed by the volume's source (emptyDir, configMap, secret, persistentVolumeClaim, …). */
function volumeMount(mount: { name: string; mountPath: string; readOnly?: boolean }, volumes: ({ name: string } & Record<string, unknown>)[]): TargetMount {
  const volume = volumes.find((v) => v.name === mount.name);
  const kind = volume === undefined ? 'volume' : (Object.keys(volume).find((key) => key !== 'name') ?? 'volume');
  return { type: kind, source: mount.name, destination: mount.mountPath, readOnly: mount.readOnly === true };
}
