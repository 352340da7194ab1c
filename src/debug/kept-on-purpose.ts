import type { ContainerSummary, Target } from '../core/target.js';
import type { Engine } from '../engines/engine.js';
import { OBJECT_ANSWER_MS, withinTime } from './within-time.js';

/**
 * Made with --keep: the engine will not remove it when it ends. One never started is a
 * half-made object (or an image export's handle), not a kept session. The engine's list does
 * not say, so this costs an inspect: ask it only when the answer matters. Undefined when the
 * engine does not answer about it in time.
 */
export async function keptOnPurpose(engine: Engine, container: ContainerSummary): Promise<boolean | undefined> {
  if (container.status === 'created') return false;
  const inspected = await inspectInTime(engine, container.id);
  return inspected === undefined ? undefined : keptOnPurposeAsInspected(container, inspected);
}

/** The container as the engine describes it; null when it is gone meanwhile, undefined when the engine does not answer in time. */
export async function inspectInTime(engine: Engine, id: string): Promise<Target | null | undefined> {
  return withinTime(engine.findContainer(id), OBJECT_ANSWER_MS).catch(() => null);
}

export function keptOnPurposeAsInspected(container: ContainerSummary, inspected: Target | null): boolean {
  // Gone meanwhile (auto-removed): nothing kept.
  return container.status !== 'created' && inspected?.autoRemove === false;
}
