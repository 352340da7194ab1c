/**
 * TEST DOUBLE OF THE KUBERNETES CONTROL PLANE ONLY (see README.md): the pod's
 * `ephemeralcontainers` subresource. A strategic merge patch of
 * `spec.ephemeralContainers` (merge key `name`, api/core/v1 types.go) adds containers;
 * each new one becomes a Docker container joined to its target's PID namespace (or the
 * pause container's when it names no target) and to the pod's network and IPC, then is
 * started in the background as a kubelet would, so a client sees it waiting, running,
 * then terminated.
 *
 * Validation follows kubernetes/kubernetes pkg/apis/core/validation/validation.go
 * (validateEphemeralContainers, allowedEphemeralContainerFields): a name that is a DNS-1123
 * label and unique among all the pod's containers, an image, no field an ephemeral
 * container may not have, a target that is a container of the pod, and existing
 * ephemeral containers left unchanged. Failures are 422 Invalid statuses whose causes
 * carry the field paths, as the API server's field.ErrorList gives them.
 */
import { isContainerName } from '../../src/engines/kubernetes/ephemeral-container.js';
import { TEST_TARGET_LABEL } from '../e2e/harness.js';
import { dockerRequest } from './docker-socket.js';
import { CONTAINER_LABEL, EPHEMERAL_SPEC_LABEL, POD_LABEL, ROLE_LABEL, WAITING_LABEL, containerNameOf, roleOf, type DockerInspect } from './pod-view.js';

/** Container fields an ephemeral container may not set (validation.go: not in allowedEphemeralContainerFields). */
const FORBIDDEN_FIELDS = ['ports', 'resources', 'resizePolicy', 'restartPolicy', 'lifecycle', 'livenessProbe', 'readinessProbe', 'startupProbe'];

export interface FieldError {
  reason: 'FieldValueDuplicate' | 'FieldValueNotFound' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueInvalid';
  field: string;
  /** The error's body, as field.Error.ErrorBody() words it. */
  message: string;
}

/** The 422 Status of a rejected update (apierrors.NewInvalid). */
export function invalidStatus(pod: string, errors: FieldError[]): object {
  const each = errors.map((e) => `${e.field}: ${e.message}`);
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: `Pod "${pod}" is invalid: ${each.length === 1 ? each[0] : `[${each.join(', ')}]`}`,
    reason: 'Invalid',
    details: { name: pod, kind: 'Pod', causes: errors.map((e) => ({ reason: e.reason, message: e.message, field: e.field })) },
    code: 422,
  };
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Strategic merge of one list element into another (maps merge, everything else replaces). */
function mergeElement(base: Json, patch: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    if (value === null) delete out[key];
    else if (isObject(value) && isObject(out[key])) out[key] = mergeElement(out[key] as Json, value);
    else out[key] = value;
  }
  return out;
}

function sameJson(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameJson(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => sameJson(a[k], b[k]));
  }
  return a === b;
}

export type PatchOutcome = { kind: 'invalid'; errors: FieldError[] } | { kind: 'bad-request'; message: string } | { kind: 'add'; containers: Json[] };

/** What a patch asks for, given the pod's Docker containers: the new ephemeral containers, or why not. */
export function planEphemeralPatch(patch: unknown, containers: DockerInspect[]): PatchOutcome {
  if (!isObject(patch)) return { kind: 'bad-request', message: 'the patch is not a JSON object' };
  const spec = patch.spec;
  // The subresource keeps only spec.ephemeralContainers of the patched pod; other changes are dropped.
  const list = isObject(spec) ? spec.ephemeralContainers : undefined;
  if (list === undefined) return { kind: 'add', containers: [] };
  if (!Array.isArray(list)) return { kind: 'bad-request', message: 'spec.ephemeralContainers is not a list' };
  const ordered = [...containers].sort((a, b) => a.Created.localeCompare(b.Created));
  const existing = ordered.filter((c) => roleOf(c) === 'ephemeral').map((c) => JSON.parse(c.Config.Labels?.[EPHEMERAL_SPEC_LABEL] ?? '{}') as Json);
  const targets = ordered.filter((c) => roleOf(c) === 'container').map(containerNameOf);
  const errors: FieldError[] = [];
  const added: Json[] = [];
  for (const item of list) {
    if (!isObject(item) || typeof item.name !== 'string') return { kind: 'bad-request', message: 'every element of spec.ephemeralContainers needs a name (its merge key)' };
    const old = existing.find((e) => e.name === item.name);
    if (old !== undefined) {
      if (!sameJson(mergeElement(old, item), old)) {
        errors.push({ reason: 'FieldValueForbidden', field: 'spec.ephemeralContainers', message: `Forbidden: existing ephemeral containers "${item.name}" may not be changed` });
      }
      continue;
    }
    const index = existing.length + added.length;
    const path = `spec.ephemeralContainers[${index}]`;
    const container = mergeElement({}, item);
    const name = container.name as string;
    if (name === '') errors.push({ reason: 'FieldValueRequired', field: `${path}.name`, message: 'Required value' });
    else if (!isContainerName(name)) {
      errors.push({
        reason: 'FieldValueInvalid',
        field: `${path}.name`,
        message: `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
      });
    } else if (targets.includes(name) || added.some((a) => a.name === name)) {
      errors.push({ reason: 'FieldValueDuplicate', field: `${path}.name`, message: `Duplicate value: "${name}"` });
    }
    if (typeof container.image !== 'string' || container.image === '') errors.push({ reason: 'FieldValueRequired', field: `${path}.image`, message: 'Required value' });
    for (const field of FORBIDDEN_FIELDS) {
      if (container[field] !== undefined) errors.push({ reason: 'FieldValueForbidden', field: `${path}.${field}`, message: 'Forbidden: cannot be set for an Ephemeral Container' });
    }
    const target = container.targetContainerName;
    if (target !== undefined && target !== '' && !(typeof target === 'string' && targets.includes(target))) {
      errors.push({ reason: 'FieldValueNotFound', field: `${path}.targetContainerName`, message: `Not found: ${JSON.stringify(target)}` });
    }
    // Defaults the API server fills in (pkg/apis/core/v1 defaults.go, SetDefaults_EphemeralContainer and _Container).
    container.terminationMessagePath ??= '/dev/termination-log';
    container.terminationMessagePolicy ??= 'File';
    container.imagePullPolicy ??= typeof container.image === 'string' && /:latest$|^[^:]*$/.test(container.image.replace(/^.*\//, '')) ? 'Always' : 'IfNotPresent';
    added.push(container);
  }
  return errors.length > 0 ? { kind: 'invalid', errors } : { kind: 'add', containers: added };
}

interface SecurityContext {
  capabilities?: { add?: string[]; drop?: string[] };
  privileged?: boolean;
  runAsUser?: number;
  runAsGroup?: number;
}

/**
 * Creates the Docker container of one ephemeral container (not started). Throws when the
 * engine lacks the image: the double pulls nothing.
 */
export async function createEphemeralContainer(namespace: string, pod: string, spec: Json, containers: DockerInspect[]): Promise<string> {
  const pause = containers.find((c) => roleOf(c) === 'pause');
  if (pause === undefined) throw new Error(`pod ${namespace}/${pod} has no pause container: start it with createPod (pods.ts)`);
  const target = containers.find((c) => roleOf(c) === 'container' && containerNameOf(c) === spec.targetContainerName);
  const security = (isObject(spec.securityContext) ? spec.securityContext : {}) as SecurityContext;
  const env = Array.isArray(spec.env) ? (spec.env as { name: string; value?: string }[]).map((e) => `${e.name}=${e.value ?? ''}`) : [];
  const user = security.runAsUser === undefined ? undefined : `${security.runAsUser}${security.runAsGroup === undefined ? '' : `:${security.runAsGroup}`}`;
  const stdin = spec.stdin === true;
  const created = (await dockerRequest('POST', `/containers/create?name=sidekick-test-kd-eph-${Math.random().toString(36).slice(2, 10)}`, {
    Image: spec.image,
    ...(Array.isArray(spec.command) ? { Entrypoint: spec.command } : {}),
    ...(Array.isArray(spec.args) ? { Cmd: spec.args } : {}),
    ...(typeof spec.workingDir === 'string' ? { WorkingDir: spec.workingDir } : {}),
    ...(user !== undefined ? { User: user } : {}),
    Env: env,
    Tty: spec.tty === true,
    OpenStdin: stdin,
    StdinOnce: stdin && spec.stdinOnce === true,
    AttachStdin: stdin,
    AttachStdout: true,
    AttachStderr: true,
    Labels: ephemeralLabels(namespace, pod, spec),
    HostConfig: {
      NetworkMode: `container:${pause.Id}`,
      IpcMode: `container:${pause.Id}`,
      PidMode: `container:${(target ?? pause).Id}`,
      CapAdd: security.capabilities?.add ?? [],
      CapDrop: security.capabilities?.drop ?? [],
      Privileged: security.privileged === true,
    },
  })) as { Id: string };
  return created.Id;
}

/** Starts it as the kubelet would, later; a failure leaves it "created", shown as waiting. */
/** The labels by which the pod view finds an ephemeral container and its spec. */
function ephemeralLabels(namespace: string, pod: string, spec: Json): Record<string, string> {
  return {
    [TEST_TARGET_LABEL]: '1',
    [POD_LABEL]: `${namespace}/${pod}`,
    [CONTAINER_LABEL]: spec.name as string,
    [ROLE_LABEL]: 'ephemeral',
    [EPHEMERAL_SPEC_LABEL]: JSON.stringify(spec),
  };
}

export function startInBackground(id: string): void {
  setImmediate(() => {
    dockerRequest('POST', `/containers/${id}/start`).catch(() => undefined);
  });
}

/**
 * For an image the engine lacks: the double pulls nothing, so the ephemeral container is
 * recorded as a placeholder (a never-started container of the pause image) whose status
 * is the kubelet's waiting state: ErrImageNeverPull in the kubelet's words for pull policy
 * Never (pkg/kubelet/images/image_manager.go, EnsureImageExists), ErrImagePull otherwise.
 */
export async function createImageMissingPlaceholder(namespace: string, pod: string, spec: Json, pauseImage: string): Promise<string> {
  const image = String(spec.image);
  const waiting =
    spec.imagePullPolicy === 'Never'
      ? { reason: 'ErrImageNeverPull', message: `Container image "${image}" is not present with pull policy of Never` }
      : { reason: 'ErrImagePull', message: `the kube-double pulls no images, and the engine has no "${image}"` };
  const created = (await dockerRequest('POST', `/containers/create?name=sidekick-test-kd-eph-${Math.random().toString(36).slice(2, 10)}`, {
    Image: pauseImage,
    Labels: { ...ephemeralLabels(namespace, pod, spec), [WAITING_LABEL]: JSON.stringify(waiting) },
    HostConfig: { NetworkMode: 'none' },
  })) as { Id: string };
  return created.Id;
}
