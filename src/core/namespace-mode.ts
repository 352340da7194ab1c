/**
 * How a container's namespaces were set up, in engine-neutral terms: each engine maps its own
 * words onto this (Docker's "container:<id>", "shareable", "host" in src/engines/docker/;
 * a Kubernetes pod's shared network, IPC and, with shareProcessNamespace, PID), and debug/
 * reasons only about this.
 */
export type NamespaceMode =
  /** Its own namespace, which no other container was set up to join. */
  | { kind: 'private' }
  /** Its own namespace, which other containers may join (Docker's `--ipc shareable`). */
  | { kind: 'shareable' }
  /** The engine host's namespace. */
  | { kind: 'host' }
  /** Another container's namespace, by the ID or name the engine recorded. */
  | { kind: 'container'; reference: string }
  /** Its pod's namespace, shared by all containers of the pod that take part in it. */
  | { kind: 'pod'; pod: string };

/**
 * The network namespace, which has one more case: its own namespace connected to a network
 * of the engine's ("bridge", "default", a user-defined one). `private` there means its own
 * namespace with no network but loopback (Docker's `none`).
 */
export type NetworkMode = NamespaceMode | { kind: 'named'; name: string };

export interface NamespaceModes {
  network: NetworkMode;
  pid: NamespaceMode;
  ipc: NamespaceMode;
  uts: NamespaceMode;
  cgroup: NamespaceMode;
  user: NamespaceMode;
}

const PRIVATE: NamespaceMode = { kind: 'private' };

/** A container whose namespaces are all its own (the network one connected to the engine's default network). */
export function privateNamespaces(): NamespaceModes {
  return { network: { kind: 'named', name: 'default' }, pid: PRIVATE, ipc: PRIVATE, uts: PRIVATE, cgroup: PRIVATE, user: PRIVATE };
}

/** Whether the namespace belongs to someone else: another container, the pod, or the host. */
export function joinsAnother(mode: NetworkMode): boolean {
  return mode.kind === 'container' || mode.kind === 'pod' || mode.kind === 'host';
}

/** Whether the container was set up to join this particular container's namespace (by its ID or one of its names). */
export function joinsContainer(mode: NetworkMode, container: { id: string; names: readonly string[] }): boolean {
  return mode.kind === 'container' && (mode.reference === container.id || container.names.includes(mode.reference));
}

/** For messages: "private", "host", "container web", "pod shop-0", "network bridge". */
export function namespaceModeText(mode: NetworkMode): string {
  switch (mode.kind) {
    case 'container':
      return `container ${mode.reference}`;
    case 'pod':
      return `pod ${mode.pod}`;
    case 'named':
      return `network ${mode.name}`;
    default:
      return mode.kind;
  }
}
