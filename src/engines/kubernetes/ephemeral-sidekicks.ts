/**
 * sidekick's ephemeral containers as sessions (docs/ARCHITECTURE.md, "Kubernetes engine",
 * sessions and prune). Pure.
 *
 * An ephemeral container carries no labels of its own (the EphemeralContainer type has no
 * metadata), so the marks sidekick sets on a Docker container (session,
 * kind, target, created, client, owner mark: core/labels.ts) travel in its spec, as one
 * environment variable holding them as JSON. They are the object's own: the API shows the
 * spec as sidekick sent it, never an image's ENV, so nothing can be inherited. Which client
 * made it, and whether that client still runs, is read from them as on Docker.
 *
 * An ephemeral container cannot be removed or stopped through the API: its entry stays in the
 * pod's spec for the pod's life. Only one whose process still runs is a session; one that has
 * ended is a record of the pod, not something sidekick can act on, and is not listed.
 */
import type { ContainerSummary, Target } from '../../core/target.js';
import { podContainerId, podTarget, type FullPodJson, type PodContainerJson } from './pod-target.js';

/** The environment variable that carries the sidekick's labels; the wrapper unsets it before the command runs. */
export const LABELS_VARIABLE = 'SIDEKICK_LABELS';
const SIDEKICK_PREFIX = 'sidekick-';

/** What stays after such a container has ended, for the words of `prune`. */
export function staysInSpec(namespace: string, pod: string): string {
  return `an ephemeral container cannot be removed: its entry stays in pod ${namespace}/${pod}'s spec`;
}

export interface EphemeralContainerSpecJson extends PodContainerJson {
  targetContainerName?: string;
}

export function labelsVariable(labels: Record<string, string>): { name: string; value: string } {
  return { name: LABELS_VARIABLE, value: JSON.stringify(labels) };
}

/** The labels an ephemeral container of sidekick's carries; undefined for any other container, or unreadable ones. */
export function carriedLabels(container: EphemeralContainerSpecJson): Record<string, string> | undefined {
  if (!container.name.startsWith(SIDEKICK_PREFIX)) return undefined;
  const value = container.env?.find((e) => e.name === LABELS_VARIABLE)?.value;
  if (value === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (!entries.every(([, v]) => typeof v === 'string')) return undefined;
  return Object.fromEntries(entries) as Record<string, string>;
}

/** Whether `labels` has every filter (`key` or `key=value`), as the Engine's label filters read. */
export function matchesLabels(labels: Record<string, string>, filters: readonly string[]): boolean {
  return filters.every((filter) => {
    const equals = filter.indexOf('=');
    return equals < 0 ? labels[filter] !== undefined : labels[filter.slice(0, equals)] === filter.slice(equals + 1);
  });
}

function ephemeralSpecs(pod: FullPodJson): EphemeralContainerSpecJson[] {
  return (pod.spec?.ephemeralContainers ?? []) as EphemeralContainerSpecJson[];
}

/** The pod as podTarget reads it, with one ephemeral container as its only container. */
function asOwnContainer(pod: FullPodJson, container: EphemeralContainerSpecJson): FullPodJson {
  return {
    ...pod,
    spec: { ...pod.spec, containers: [container] },
    status: { ...pod.status, containerStatuses: (pod.status?.ephemeralContainerStatuses ?? []).filter((s) => s.name === container.name) },
  };
}

/** sidekick's ephemeral containers whose process still runs (or is starting), one summary each. */
export function sidekickSummaries(pods: FullPodJson[]): ContainerSummary[] {
  return pods.flatMap((pod) =>
    ephemeralSpecs(pod).flatMap((container): ContainerSummary[] => {
      const target = ephemeralSidekickTarget(pod, container.name);
      if (target === undefined || target.status !== 'running') return [];
      return [
        {
          id: target.id,
          names: [target.name],
          image: target.image,
          status: target.status,
          labels: target.labels,
          labelsSetOnObject: true,
          unremovable: staysInSpec(pod.metadata?.namespace ?? 'default', pod.metadata?.name ?? ''),
        },
      ];
    }),
  );
}

/**
 * One of sidekick's ephemeral containers as a Target: in its target container's PID namespace,
 * ending with its session (never kept), its labels those it carries. Undefined when the pod
 * has no such container of sidekick's.
 */
export function ephemeralSidekickTarget(pod: FullPodJson, name: string): Target | undefined {
  const container = ephemeralSpecs(pod).find((c) => c.name === name);
  if (container === undefined) return undefined;
  const labels = carriedLabels(container);
  if (labels === undefined) return undefined;
  const namespace = pod.metadata?.namespace ?? 'default';
  const podName = pod.metadata?.name ?? '';
  const target = podTarget(asOwnContainer(pod, container), name);
  const pid = container.targetContainerName === undefined ? target.namespaceModes.pid : { kind: 'container' as const, reference: podContainerId(namespace, podName, container.targetContainerName) };
  return {
    ...target,
    // Its own variables, without the one that carries its labels.
    env: target.env.filter((entry) => !entry.startsWith(`${LABELS_VARIABLE}=`)),
    labels,
    autoRemove: true,
    namespaceModes: { ...target.namespaceModes, pid },
  };
}
