/**
 * Pure builders and readers for running a sidekick as an ephemeral container of a pod
 * (docs/ARCHITECTURE.md, "Kubernetes wire layer"). No HTTP here: the engine sends what
 * these build and hands back what the API answered.
 *
 * Facts (paths relative to kubernetes/kubernetes staging/src/k8s.io/):
 * - An ephemeral container is added through the pod's `ephemeralcontainers` subresource,
 *   never by updating the pod. kubectl debug sends a strategic merge patch
 *   (Content-Type application/strategic-merge-patch+json) to
 *   `PATCH /api/v1/namespaces/N/pods/P/ephemeralcontainers` (kubectl/pkg/cmd/debug/
 *   debug.go, debugByEphemeralContainer). We do the same, and write the patch directly:
 *   PodSpec.ephemeralContainers has patchStrategy "merge" with patchMergeKey "name"
 *   (api/core/v1/types.go), so `{"spec":{"ephemeralContainers":[NEW]}}` adds NEW and
 *   keeps the others. The alternative, a PUT of the whole Pod with the list extended,
 *   needs the pod's resourceVersion and fails on any concurrent change; the patch does
 *   not, which is why it was chosen.
 * - A 404 whose status has no details.name means the subresource itself is missing
 *   (ephemeral containers disabled), unlike a missing pod (debug.go, same function).
 * - `targetContainerName` puts the ephemeral container in the PID namespace of that
 *   container; it always shares the pod's network. Ephemeral containers cannot be removed
 *   once added: their process ends, their entry stays (types.go, EphemeralContainer doc).
 * - kubectl debug's "general" profile gives an ephemeral container CAP_SYS_PTRACE
 *   (kubectl/pkg/cmd/debug/profiles.go, generalProfile.Apply, ephemeral style), which the
 *   chroot view needs to reach /proc/<pid>/root of a process of another user.
 * - The container is ready for attach when status.ephemeralContainerStatuses[name].state
 *   has `running`, and finished when it has `terminated` (debug.go, waitForContainer and
 *   getContainerStatusByName, which also looks in containerStatuses and
 *   initContainerStatuses).
 * - Container names are DNS-1123 labels: lower-case letters, digits and '-', starting
 *   and ending with a letter or digit, at most 63 characters, unique among all the
 *   pod's containers (debug.go computeDebugContainerName/containerNameToRef).
 * - The API server validates an ephemeral container against an allow-list of fields (no
 *   ports, resources, probes or lifecycle; stdinOnce is allowed), requires its name to be
 *   unique across all container kinds, and its target to be a container or init
 *   container, not another ephemeral one (kubernetes/kubernetes pkg/apis/core/validation/
 *   validation.go, allowedEphemeralContainerFields and validateEphemeralContainers).
 *   {@link checkNewEphemeralContainer} says the same before the request is sent.
 */

export const STRATEGIC_MERGE_PATCH = 'application/strategic-merge-patch+json';

const NAME_PREFIX = 'sidekick-';
const MAX_NAME_LENGTH = 63;

export interface EphemeralSidekickOptions {
  /** The container whose PID namespace the sidekick joins. */
  targetContainer: string;
  /** A short random suffix, chosen by the caller (keeps this module pure). */
  shortId: string;
  image: string;
  command: string[];
  args?: string[];
  stdin: boolean;
  /**
   * Whether the container's stdin closes when its attached client leaves (the default with
   * stdin). False for a session left with -d that a client attaches to again (exec --attach).
   */
  stdinOnce?: boolean;
  tty: boolean;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  env?: { name: string; value: string }[];
  /** Capabilities the session asks for beyond SYS_PTRACE, which every sidekick has (capture: NET_RAW). */
  capAdd?: string[];
}

/** The EphemeralContainer object as the API serialises it (the fields sidekick sets). */
export interface EphemeralContainerJson {
  name: string;
  image: string;
  command: string[];
  args?: string[];
  stdin: boolean;
  stdinOnce?: boolean;
  tty: boolean;
  targetContainerName: string;
  imagePullPolicy?: string;
  env?: { name: string; value: string }[];
  terminationMessagePolicy: 'File' | 'FallbackToLogsOnError';
  securityContext: { capabilities: { add: string[] } };
}

export class EphemeralContainerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EphemeralContainerError';
  }
}

/** `sidekick-<target>-<id>`, the target part shortened so that the whole is a valid container name. */
export function ephemeralContainerName(targetContainer: string, shortId: string): string {
  if (!/^[a-z0-9]+$/.test(shortId)) throw new EphemeralContainerError(`the short id "${shortId}" must be lower-case letters and digits`);
  const room = MAX_NAME_LENGTH - NAME_PREFIX.length - 1 - shortId.length;
  if (room < 1) throw new EphemeralContainerError(`the short id "${shortId}" leaves no room for the target's name`);
  const target = targetContainer.slice(0, room).replace(/-+$/, '');
  const name = `${NAME_PREFIX}${target}-${shortId}`;
  if (!isContainerName(name)) throw new EphemeralContainerError(`"${targetContainer}" is not a container name`);
  return name;
}

export function isContainerName(name: string): boolean {
  return name.length <= MAX_NAME_LENGTH && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name);
}

export function buildEphemeralContainer(options: EphemeralSidekickOptions): EphemeralContainerJson {
  if (!isContainerName(options.targetContainer)) throw new EphemeralContainerError(`"${options.targetContainer}" is not a container name`);
  if (options.image === '') throw new EphemeralContainerError('an ephemeral container needs an image');
  if (options.command.length === 0) throw new EphemeralContainerError('an ephemeral sidekick needs a command');
  const container: EphemeralContainerJson = {
    name: ephemeralContainerName(options.targetContainer, options.shortId),
    image: options.image,
    command: [...options.command],
    stdin: options.stdin,
    tty: options.tty,
    targetContainerName: options.targetContainer,
    terminationMessagePolicy: 'File',
    securityContext: { capabilities: { add: [...new Set(['SYS_PTRACE', ...(options.capAdd ?? [])])] } },
  };
  // stdinOnce: the container's stdin closes when the one attached client detaches, so the
  // sidekick's process sees EOF and ends with the session (api/core/v1 types.go, Container.StdinOnce).
  // A detached session keeps its stdin open for the next client instead.
  if (options.stdin) container.stdinOnce = options.stdinOnce ?? true;
  if (options.args !== undefined) container.args = [...options.args];
  if (options.imagePullPolicy !== undefined) container.imagePullPolicy = options.imagePullPolicy;
  if (options.env !== undefined && options.env.length > 0) container.env = options.env.map((e) => ({ ...e }));
  return container;
}

export interface PatchRequest {
  method: 'PATCH';
  path: string;
  contentType: typeof STRATEGIC_MERGE_PATCH;
  body: { spec: { ephemeralContainers: EphemeralContainerJson[] } };
}

export function addEphemeralContainerRequest(namespace: string, pod: string, container: EphemeralContainerJson): PatchRequest {
  return {
    method: 'PATCH',
    path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/ephemeralcontainers`,
    contentType: STRATEGIC_MERGE_PATCH,
    body: { spec: { ephemeralContainers: [container] } },
  };
}

/** The pod JSON as far as these readers look at it. */
export interface PodJson {
  metadata?: { name?: string; namespace?: string };
  spec?: {
    containers?: { name: string }[];
    initContainers?: { name: string }[];
    ephemeralContainers?: { name: string }[];
  };
  status?: {
    phase?: string;
    containerStatuses?: ContainerStatusJson[];
    initContainerStatuses?: ContainerStatusJson[];
    ephemeralContainerStatuses?: ContainerStatusJson[];
  };
}

export interface ContainerStatusJson {
  name: string;
  containerID?: string;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string };
    terminated?: { exitCode: number; signal?: number; reason?: string; message?: string };
  };
}

/** Every name taken in the pod: a new container must not reuse one. */
export function containerNames(pod: PodJson): Set<string> {
  const spec = pod.spec ?? {};
  return new Set([...(spec.containers ?? []), ...(spec.initContainers ?? []), ...(spec.ephemeralContainers ?? [])].map((c) => c.name));
}

/**
 * Why the API server would refuse to add this container to this pod, or undefined: the
 * name must be new and the target a (non-ephemeral) container of the pod.
 */
export function checkNewEphemeralContainer(pod: PodJson, container: EphemeralContainerJson): string | undefined {
  if (containerNames(pod).has(container.name)) return `the pod already has a container named ${container.name}`;
  const spec = pod.spec ?? {};
  const targets = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => c.name);
  if (!targets.includes(container.targetContainerName)) {
    return `the pod has no container named ${container.targetContainerName}${targets.length > 0 ? ` (it has ${targets.join(', ')})` : ''}`;
  }
  return undefined;
}

export type ContainerState =
  /** Not in the status yet (the kubelet has not seen it), or no such container. */
  | { kind: 'unknown' }
  | { kind: 'waiting'; reason: string; message: string }
  | { kind: 'running' }
  | { kind: 'terminated'; exitCode: number; signal: number | undefined; reason: string; message: string };

/** The state of a container of the pod, wherever its status is listed. */
export function containerState(pod: PodJson, name: string): ContainerState {
  const status = pod.status ?? {};
  const all = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? []), ...(status.ephemeralContainerStatuses ?? [])];
  const found = all.find((s) => s.name === name);
  const state = found?.state;
  if (state === undefined) return { kind: 'unknown' };
  if (state.terminated !== undefined) {
    const t = state.terminated;
    return { kind: 'terminated', exitCode: t.exitCode, signal: t.signal, reason: t.reason ?? '', message: t.message ?? '' };
  }
  if (state.running !== undefined) return { kind: 'running' };
  if (state.waiting !== undefined) return { kind: 'waiting', reason: state.waiting.reason ?? '', message: state.waiting.message ?? '' };
  return { kind: 'unknown' };
}

/**
 * Whether an error status from the PATCH says the cluster has no `ephemeralcontainers`
 * subresource (rather than no such pod).
 */
export function isEphemeralContainersUnsupported(status: unknown): boolean {
  if (status === null || typeof status !== 'object') return false;
  const s = status as { reason?: unknown; details?: { name?: unknown } };
  return s.reason === 'NotFound' && (s.details?.name === undefined || s.details.name === '');
}
