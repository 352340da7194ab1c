/**
 * Which containers share a namespace with which, from how the engine set them up (joined to
 * another container's, to their pod's, or the host's: core/namespace-mode.ts). That is what the
 * engine knows even when it is remote, without starting anything in each container.
 */
import { LABEL_KIND } from '../core/labels.js';
import type { NamespaceModes } from '../core/target.js';

export type SharableKind = 'net' | 'pid' | 'ipc';

export interface ContainerModes {
  id: string;
  name: string;
  labels: Record<string, string>;
  namespaceModes: NamespaceModes;
}

export interface SharingPeer {
  id: string;
  name: string;
  /** Set when the peer is one of sidekick's own containers (and which kind). */
  sidekickKind?: string;
}

export interface NamespaceSharing {
  /** The namespace is the engine host's own ("host" mode). */
  host: boolean;
  sharedWith: SharingPeer[];
}

const MODE_FIELD: Record<SharableKind, keyof NamespaceModes> = { net: 'network', pid: 'pid', ipc: 'ipc' };

/** The container (or 'host') that owns the namespace `container` uses of that kind. */
function owner(container: ContainerModes, kind: SharableKind, byKey: Map<string, ContainerModes>): string {
  let current = container;
  // Joined containers can be chained (A joins B, B joins C); the engine forbids cycles, the cap is belt and braces.
  for (let hops = 0; hops < 8; hops += 1) {
    const mode = current.namespaceModes[MODE_FIELD[kind]];
    if (mode.kind === 'host') return 'host';
    if (mode.kind === 'pod') return `pod:${mode.pod}`;
    if (mode.kind !== 'container') return current.id;
    const next = byKey.get(mode.reference);
    if (next === undefined) return `missing:${mode.reference}`;
    current = next;
  }
  return current.id;
}

export function namespaceSharing(targetId: string, containers: readonly ContainerModes[], ignore: ReadonlySet<string> = new Set()): Map<SharableKind, NamespaceSharing> {
  const byKey = new Map<string, ContainerModes>();
  for (const container of containers) {
    byKey.set(container.id, container);
    byKey.set(container.name, container);
  }
  const target = byKey.get(targetId);
  const result = new Map<SharableKind, NamespaceSharing>();
  for (const kind of ['net', 'pid', 'ipc'] as const) {
    if (target === undefined) {
      result.set(kind, { host: false, sharedWith: [] });
      continue;
    }
    const mine = owner(target, kind, byKey);
    const sharedWith = containers
      .filter((other) => other.id !== target.id && !ignore.has(other.id) && owner(other, kind, byKey) === mine)
      .map((other) => ({
        id: other.id,
        name: other.name,
        ...(other.labels[LABEL_KIND] !== undefined ? { sidekickKind: other.labels[LABEL_KIND] } : {}),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    result.set(kind, { host: mine === 'host', sharedWith });
  }
  return result;
}
