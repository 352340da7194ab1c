import type { ContainerSummary } from '../core/target.js';
import type { Engine } from '../engines/engine.js';

/**
 * Made with --keep: the engine will not remove it when it ends. One never started is a
 * half-made object (or an image export's handle), not a kept session. The engine's list does
 * not say, so this costs an inspect: ask it only when the answer matters.
 */
export async function keptOnPurpose(engine: Engine, container: ContainerSummary): Promise<boolean> {
  if (container.status === 'created') return false;
  // Gone meanwhile (auto-removed): nothing kept.
  return (await engine.findContainer(container.id).catch(() => undefined))?.autoRemove === false;
}
