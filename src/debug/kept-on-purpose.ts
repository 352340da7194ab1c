import type { ContainerSummary } from '../core/target.js';
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
  // Gone meanwhile (auto-removed): nothing kept.
  const target = await withinTime(engine.findContainer(container.id), OBJECT_ANSWER_MS).catch(() => null);
  if (target === undefined) return undefined;
  return target?.autoRemove === false;
}
