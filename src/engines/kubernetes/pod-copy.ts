/**
 * A debug copy of a pod's container (docs/ARCHITECTURE.md, "Kubernetes engine", exec --copy):
 * the Pod object sidekick creates, built from the original's spec. Pure.
 *
 * What the copy is, as `kubectl debug --copy-to` makes it but for one container:
 * - a new pod in the original's namespace, the original untouched;
 * - only the target container, with the volumes it mounts (sidecars and the original's init
 *   containers are not run: an init container may migrate a database, a sidecar serve
 *   traffic); its image, environment, resources and security context as they are, its probes
 *   and lifecycle hooks dropped (they would restart or hang a shell), its command replaced by
 *   the toolbox's shell, which waits for the attach before it starts;
 * - none of the original's labels (a Service must not send traffic to the copy; kubectl drops
 *   them too unless asked), sidekick's marks as annotations (their values are not label
 *   values) and the session and kind also as labels, which selectors can find;
 * - `shareProcessNamespace`, so that PID 1 is the pod's pause process: the copy's shell is then
 *   an ordinary process its lease guard can end (a PID 1 ignores signals it has no handler for);
 * - no `nodeName` (the scheduler places it) and `restartPolicy: Never`.
 * The toolbox (a static busybox from the toolbox image, the start script and run-entrypoint) is
 * written by an init container into an emptyDir mounted at the private prefix, since nothing
 * can be put into a Kubernetes container before it starts.
 *
 * Facts (kubernetes/kubernetes staging/src/k8s.io/api/core/v1/types.go): labels' values are at
 * most 63 characters of [A-Za-z0-9_.-], starting and ending with an alphanumeric (apimachinery
 * validation IsValidLabelValue); an emptyDir is created empty and world-writable (kubelet
 * volume/emptydir, perm 0777); init containers run in order, each to success, before the
 * containers start; `stdinOnce` closes the container's stdin when the attached client goes.
 */
import { SidekickError } from '../../core/errors.js';
import type { FullPodJson } from './pod-target.js';

/** The name of the init container that puts the toolbox in, and of its volume. */
export const COPY_TOOLS_CONTAINER = 'sidekick-tools';
/** The container's fields a copy never keeps: they would restart, hang or replace its shell. */
const DROPPED_CONTAINER_FIELDS = ['command', 'args', 'livenessProbe', 'readinessProbe', 'startupProbe', 'lifecycle', 'restartPolicy', 'stdin', 'stdinOnce', 'tty'];
/** The pod's fields a copy never keeps. */
const DROPPED_POD_FIELDS = ['nodeName', 'ephemeralContainers', 'initContainers', 'containers', 'volumes', 'restartPolicy', 'shareProcessNamespace', 'activeDeadlineSeconds', 'readinessGates', 'overhead'];

export interface PodCopyOptions {
  copyName: string;
  /** The container of the original that is copied. */
  container: string;
  /** Where the toolbox is mounted in the copy (the private prefix). */
  toolsDirectory: string;
  /** An image whose `busybox` is static: the copy's toolbox is taken from it. */
  toolboxImage: string;
  /** Files written under toolsDirectory before the copy starts (relative paths). */
  files: { path: string; content: string; executable: boolean }[];
  /** What the copy runs once attached (the toolbox's shell runs it: the image may have none). */
  command: string[];
  /** Added to the original's environment, winning over it. */
  env: { name: string; value: string }[];
  tty: boolean;
  workingDir?: string;
  runAsUser?: number;
  runAsGroup?: number;
  /** The original's volumes mounted read-only (as `exec --copy` does on every engine unless --rw-volumes). */
  readOnlyVolumes: boolean;
  privileged: boolean;
  capAdd: string[];
  /** sidekick's marks (core/labels.ts). */
  marks: Record<string, string>;
  /** The mark keys also set as labels, when their values are label values. */
  labelKeys: string[];
}

/** The file of the copy's first process's PID, which is also its process group (signals go there). */
export function copyPidFile(toolsDirectory: string): string {
  return `${toolsDirectory}/run/pid`;
}

export function buildPodCopy(original: FullPodJson, options: PodCopyOptions): object {
  const spec = (original.spec ?? {}) as Record<string, unknown> & NonNullable<FullPodJson['spec']>;
  const source = spec.containers?.find((c) => c.name === options.container);
  if (source === undefined) throw new Error(`pod ${original.metadata?.name ?? '?'} has no container ${options.container}`);
  const mounted = new Set((source.volumeMounts ?? []).map((m) => m.name));
  const volumes = (spec.volumes ?? []).filter((v) => mounted.has(v.name));
  const toolsVolume = freeName(COPY_TOOLS_CONTAINER, new Set((spec.volumes ?? []).map((v) => v.name)));
  const toolsMount = { name: toolsVolume, mountPath: options.toolsDirectory };
  const dir = options.toolsDirectory;

  const container: Record<string, unknown> = omit(source as unknown as Record<string, unknown>, DROPPED_CONTAINER_FIELDS);
  const ownEnv = new Set(options.env.map((e) => e.name));
  container.command = [
    `${dir}/bin/sh`,
    '-c',
    `echo $$ >${copyPidFile(dir)} && read -r _ && exec ${dir}/bin/sh ${dir}/start "$@"`,
    'sidekick-wait',
    ...options.command,
  ];
  container.env = [...(source.env ?? []).filter((e) => !ownEnv.has(e.name)), ...options.env];
  container.volumeMounts = [...(source.volumeMounts ?? []).map((m) => (options.readOnlyVolumes ? { ...m, readOnly: true } : m)), toolsMount];
  container.stdin = true;
  container.stdinOnce = true;
  container.tty = options.tty;
  if (options.workingDir !== undefined) container.workingDir = options.workingDir;
  const security: Record<string, unknown> = { ...(source.securityContext ?? {}) };
  if (options.runAsUser !== undefined) {
    security.runAsUser = options.runAsUser;
    if (options.runAsGroup !== undefined) security.runAsGroup = options.runAsGroup;
    // A user named for the copy is the user's own choice; the pod's runAsNonRoot must not refuse it.
    if (options.runAsUser === 0) security.runAsNonRoot = false;
  }
  if (options.privileged) security.privileged = true;
  if (options.capAdd.length > 0) {
    const capabilities = (security.capabilities ?? {}) as { add?: string[]; drop?: string[] };
    security.capabilities = { ...capabilities, add: [...new Set([...(capabilities.add ?? []), ...options.capAdd])] };
  }
  if (Object.keys(security).length > 0) container.securityContext = security;

  const labels: Record<string, string> = {};
  for (const key of options.labelKeys) {
    const value = options.marks[key];
    if (value !== undefined && isLabelValue(value)) labels[key] = value;
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: options.copyName,
      ...(original.metadata?.namespace !== undefined ? { namespace: original.metadata.namespace } : {}),
      labels,
      annotations: { ...options.marks },
    },
    spec: {
      ...omit(spec, DROPPED_POD_FIELDS),
      initContainers: [toolsInitContainer(options, toolsMount)],
      containers: [container],
      volumes: [...volumes, { name: toolsVolume, emptyDir: {} }],
      shareProcessNamespace: true,
      restartPolicy: 'Never',
    },
  };
}

/**
 * Copies the toolbox image's busybox (with a link per applet) and the files into the volume.
 * The files travel in the init container's environment: its command line stays short and no
 * quoting is involved.
 */
function toolsInitContainer(options: PodCopyOptions, mount: { name: string; mountPath: string }): object {
  const dir = options.toolsDirectory;
  const env = options.files.map((file, index) => ({ name: `SIDEKICK_FILE_${index}`, value: file.content }));
  const writes = options.files.map((file, index) => {
    const path = `${dir}/${file.path}`;
    return `printf '%s' "$SIDEKICK_FILE_${index}" >${quote(path)}${file.executable ? ` && chmod 755 ${quote(path)}` : ''}`;
  });
  const script = [
    'set -e',
    `mkdir -p ${dir}/bin ${dir}/run`,
    `chmod 755 ${dir} ${dir}/bin && chmod 1777 ${dir}/run`,
    // busybox on PATH, or the shell's own binary (a toolbox whose sh is a standalone busybox has no file named busybox).
    'source=$(command -v busybox || true); case "$source" in /*) ;; *) source=/proc/$$/exe ;; esac',
    `cp "$source" ${dir}/bin/busybox`,
    `for applet in $(${dir}/bin/busybox --list); do [ -e ${dir}/bin/"$applet" ] || ln -s busybox ${dir}/bin/"$applet"; done`,
    ...writes,
  ].join('\n');
  return {
    name: COPY_TOOLS_CONTAINER,
    image: options.toolboxImage,
    command: ['sh', '-c', script],
    env,
    volumeMounts: [mount],
    // Root in the init container only: it writes the toolbox where the copy's user may read it.
    securityContext: { runAsUser: 0, runAsNonRoot: false },
  };
}

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/.test(value);
}

function freeName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}-${i}`;
  return name;
}

function omit<T extends Record<string, unknown>>(object: T, keys: string[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(object)) if (!keys.includes(key)) result[key] = value;
  return result;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}


/** `sidekick-copy-<pod>-<id>`, the pod's part shortened so that the name is also a valid hostname label. */
export function copyPodName(pod: string, shortId: string): string {
  const prefix = 'sidekick-copy-';
  const room = 63 - prefix.length - 1 - shortId.length;
  const base = pod.slice(0, room).replace(/[^a-z0-9-]/g, '-').replace(/-+$/, '');
  return `${prefix}${base}-${shortId}`;
}

/** `UID[:GID]` as the copy's securityContext takes it; undefined keeps the original's. */
export function parseCopyUser(user: string | undefined): { runAsUser?: number; runAsGroup?: number } {
  if (user === undefined || user === 'target') return {};
  const match = /^(\d+)(?::(\d+))?$/.exec(user);
  if (!match) {
    throw new SidekickError('BAD_USAGE', `--user ${user}: a copy of a pod runs as UID or UID:GID (numbers), as a securityContext says it.`, {
      hint: "Give numbers, or leave --user out to run as the original's own user.",
    });
  }
  return { runAsUser: Number(match[1]), ...(match[2] !== undefined ? { runAsGroup: Number(match[2]) } : {}) };
}
