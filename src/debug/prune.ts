/**
 * `sidekick prune`: removes what sidekick left on the engine when it could not clean up
 * itself (a CLI killed with -9 leaves a copy's snapshot image; `--keep` leaves sidekicks).
 * Objects younger than a grace period are left alone: they may belong to a session that
 * is starting right now, between create and start.
 */
import { LABEL_CREATED, LABEL_KIND, LABEL_SESSION } from '../core/labels.js';
import type { Engine } from '../engines/engine.js';

export interface PruneOptions {
  /** Also remove running sidekicks, forwarders and copies (live sessions end). */
  includeRunning: boolean;
  now?: Date;
  graceMs?: number;
}

export interface PrunedObject {
  type: 'container' | 'image';
  id: string;
  name: string;
  kind: string;
  session: string;
}

export interface PruneReport {
  removed: PrunedObject[];
  /** Objects that matched but could not be removed, with the engine's reason. */
  kept: Array<PrunedObject & { reason: string }>;
}

export const PRUNE_GRACE_MS = 60_000;

export async function pruneSessions(engine: Engine, options: PruneOptions): Promise<PruneReport> {
  const now = (options.now ?? new Date()).getTime();
  const grace = options.graceMs ?? PRUNE_GRACE_MS;
  const isStale = (labels: Record<string, string>): boolean => {
    const created = Date.parse(labels[LABEL_CREATED] ?? '');
    // An object without a readable creation time is someone's old leftover, not a session starting.
    return Number.isNaN(created) || now - created >= grace;
  };
  const report: PruneReport = { removed: [], kept: [] };

  const containers = await engine.listContainers({ all: true, labels: [LABEL_SESSION] });
  for (const container of containers) {
    if (!isStale(container.labels)) continue;
    if (container.status === 'running' && !options.includeRunning) continue;
    const entry: PrunedObject = {
      type: 'container',
      id: container.id,
      name: container.names[0] ?? '',
      kind: container.labels[LABEL_KIND] ?? '',
      session: container.labels[LABEL_SESSION] ?? '',
    };
    try {
      await engine.removeContainer(container.id, { force: true });
      report.removed.push(entry);
    } catch (error) {
      report.kept.push({ ...entry, reason: error instanceof Error ? error.message : String(error) });
    }
  }

  // Images after containers: a snapshot is removable only once its copy container is gone.
  const images = await engine.listImages({ labels: [LABEL_SESSION] });
  for (const image of images) {
    if (!isStale(image.labels)) continue;
    const entry: PrunedObject = {
      type: 'image',
      id: image.id,
      name: image.repoTags[0] ?? image.id.slice(7, 19),
      kind: image.labels[LABEL_KIND] ?? '',
      session: image.labels[LABEL_SESSION] ?? '',
    };
    try {
      await engine.removeImage(image.repoTags[0] ?? image.id);
      report.removed.push(entry);
    } catch (error) {
      report.kept.push({ ...entry, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return report;
}
