import type { ContainerSummary } from '../../core/target.js';

/** Containers a reference can mean: an exact name wins; otherwise every ID with that prefix. */
export function matchContainers(containers: ContainerSummary[], reference: string): ContainerSummary[] {
  const byName = containers.filter((c) => c.names.includes(reference));
  if (byName.length > 0) return byName;
  const byId = containers.filter((c) => c.id === reference);
  if (byId.length > 0) return byId;
  const lowered = reference.toLowerCase();
  if (!/^[0-9a-f]+$/.test(lowered)) return [];
  return containers.filter((c) => c.id.startsWith(lowered));
}
