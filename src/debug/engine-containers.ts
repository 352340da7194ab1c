import { isSidekickError } from '../core/errors.js';
import type { ContainerSummary, Target } from '../core/target.js';
import type { Engine } from '../engines/engine.js';
import { mapLimit } from './map-limit.js';

/** Enough parallel inspects to hide the engine's latency, few enough not to swamp it. */
export const INSPECT_CONCURRENCY = 16;

/** Every running container, fully inspected. */
export async function runningContainers(engine: Engine): Promise<Target[]> {
  return inspectAll(engine, await engine.listContainers({ all: false }));
}

/**
 * Inspects listed containers in parallel. A container that goes away between the list and
 * its inspect (a short-lived sidekick, often) is simply left out, as are stopped ones.
 */
export async function inspectAll(engine: Engine, list: readonly ContainerSummary[]): Promise<Target[]> {
  const targets = await mapLimit(list, INSPECT_CONCURRENCY, async (entry) => {
    try {
      // A container the engine holds locked (a stuck copy, say) must not hang a report about another.
      return await withinTime(engine.findContainer(entry.id), NEIGHBOUR_INSPECT_MS);
    } catch (error) {
      if (isSidekickError(error) && error.code === 'TARGET_NOT_FOUND') return undefined;
      throw error;
    }
  });
  return targets.filter((target): target is Target => target !== undefined && target.status === 'running');
}

/** How long one container's inspect may take before it is left out. */
const NEIGHBOUR_INSPECT_MS = 5_000;

function withinTime<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  work.catch(() => undefined);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
