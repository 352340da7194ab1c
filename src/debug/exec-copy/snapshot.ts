/**
 * A throw-away image of a container's filesystem (docs/ARCHITECTURE.md, "Debug copies"). Taken without pausing:
 * the original must not notice, even when it is running (`exec --copy` of a live container);
 * the price is that files being written at that moment may be caught half-written.
 */
import { sessionLabels } from '../../core/labels.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import { requireCapability } from '../../engines/capabilities.js';

export const SNAPSHOT_REPOSITORY = 'sidekick-copy';

export interface Snapshot {
  /** repository:tag, what a person types to remove it. */
  reference: string;
  id: string;
}

export async function snapshotContainer(engine: Engine, target: Target, sessionId: string, created: Date): Promise<Snapshot> {
  const snapshots = requireCapability(engine, 'snapshots', 'snapshot the target for a debug copy (sidekick exec --copy)');
  const id = await snapshots.commitContainer(target.id, {
    repository: SNAPSHOT_REPOSITORY,
    tag: sessionId,
    labels: sessionLabels({ session: sessionId, kind: 'copy', target: target.id, created }),
    pause: false,
  });
  return { reference: `${SNAPSHOT_REPOSITORY}:${sessionId}`, id };
}

/**
 * Removes the snapshot. The copy container made from it may still be going away (the engine
 * removes an auto-remove container just after its process ends), and until it is gone the
 * engine refuses to remove its image, so a refusal is retried for a few seconds.
 */
export async function removeSnapshot(engine: Engine, snapshot: Snapshot, timeoutMs = 10_000): Promise<void> {
  const images = requireCapability(engine, 'images', 'snapshot the target for a debug copy (sidekick exec --copy)');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await images.removeImage(snapshot.reference);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
