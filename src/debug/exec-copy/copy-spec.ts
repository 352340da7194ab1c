/**
 * How a debug copy is set up from what the original had (docs/ARCHITECTURE.md, "Debug copies"): pure decisions,
 * kept apart from the engine calls so that they can be tested and read on their own.
 */
import type { NetworkMode, TargetMount } from '../../core/target.js';
import type { MountSpec } from '../../engines/engine.js';

/**
 * The original's volumes and binds, read-only unless asked otherwise: the copy shares them
 * with the original (and whatever else uses them), so a debugging session must not change
 * the data by accident. A mount the original had read-only stays read-only. A tmpfs is
 * private to each container, so the copy gets a fresh, empty one.
 */
export function copyMounts(mounts: readonly TargetMount[], writable: boolean): MountSpec[] {
  const result: MountSpec[] = [];
  for (const mount of mounts) {
    if (mount.destination === '') continue;
    if (mount.type === 'volume' || mount.type === 'bind') {
      if (mount.source === '') continue;
      result.push({ type: mount.type, source: mount.source, destination: mount.destination, readOnly: mount.readOnly || !writable });
    } else if (mount.type === 'tmpfs') {
      result.push({ type: 'tmpfs', source: '', destination: mount.destination, readOnly: mount.readOnly });
    }
    // Other kinds (npipe, cluster volumes) do not exist on the engines sidekick runs against.
  }
  return result;
}

export type NetworkPlan =
  | { kind: 'same'; mode: NetworkMode; extra: string[] }
  /** The original shares another container's network namespace. */
  | { kind: 'container'; reference: string };

/**
 * The copy joins the networks the original is on, so that it sees the same DNS names and
 * peers. It gets no published ports, no aliases and no fixed address: those would take
 * traffic (or an address) meant for the original. A pod's network stays the pod's: the copy
 * gets none.
 */
export function planNetwork(mode: NetworkMode, networks: readonly string[]): NetworkPlan {
  if (mode.kind === 'container') return { kind: 'container', reference: mode.reference };
  if (mode.kind !== 'named') return { kind: 'same', mode: mode.kind === 'host' ? mode : { kind: 'private' }, extra: [] };
  // "default" is the bridge under another name.
  const same = (name: string): boolean => name === mode.name || (mode.name === 'default' && name === 'bridge');
  return { kind: 'same', mode, extra: networks.filter((name) => !same(name)) };
}

/** Label keys by which orchestrators recognise their own containers; a copy must not be counted as one of theirs. */
const ORCHESTRATOR_LABEL_PREFIXES = ['com.docker.compose.', 'com.docker.swarm.', 'com.docker.stack.', 'io.kubernetes.'];

/**
 * Labels for the copy container. The engine gives a container its image's labels, and a
 * snapshot's image has all of the original's, so orchestrators' keys are blanked here:
 * otherwise `docker compose` would count the copy as a replica of the service. (A label cannot
 * be removed, only overridden.)
 */
export function copyLabels(inherited: Record<string, string>, ours: Record<string, string>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const key of Object.keys(inherited)) {
    if (ORCHESTRATOR_LABEL_PREFIXES.some((prefix) => key.startsWith(prefix))) labels[key] = '';
  }
  return { ...labels, ...ours };
}

/** The original's environment with -e entries replacing same-named ones (getenv finds the first). */
export function mergeEnv(original: readonly string[], overrides: readonly string[]): string[] {
  const keyOf = (entry: string): string => entry.slice(0, entry.indexOf('=') >= 0 ? entry.indexOf('=') : entry.length);
  const overridden = new Set(overrides.map(keyOf));
  return [...original.filter((entry) => !overridden.has(keyOf(entry))), ...overrides];
}

/** The value of one variable in an environment list. */
export function envValue(env: readonly string[], key: string): string | undefined {
  const entry = env.find((item) => item.startsWith(`${key}=`));
  return entry === undefined ? undefined : entry.slice(key.length + 1);
}
