/**
 * `sidekick prune`: removes what sidekick made and nobody needs any more — objects whose
 * creating client is gone — and, with --all, also live and kept sessions. Only objects that
 * carry this user's owner mark, set on the object itself, are ever removed; volumes never are
 * (containers go without their volumes). Why each object goes or stays is decided in
 * prune-decision.ts; `dryRun` reports the same decisions without removing anything.
 */
import { LABEL_DETACHED, LABEL_KIND, LABEL_SESSION, LABEL_SNAPSHOT } from '../core/labels.js';
import { localClientHost, readProcStat } from '../core/ownership/local-client.js';
import { ownerKeyDirectories, verifyingKeys } from '../core/ownership/owner-key.js';
import type { ContainerSummary, Target } from '../core/target.js';
import type { Engine } from '../engines/engine.js';
import { SNAPSHOT_REPOSITORY } from './exec-copy/snapshot.js';
import { inspectInTime, keptOnPurposeAsInspected } from './kept-on-purpose.js';
import { stopSession } from './sidekick-launch.js';
import { decide, type Decision, type OwnershipContext, type PruneRules } from './prune-decision.js';
import { shortId } from '../core/short-id.js';

export interface PruneOptions {
  /** Also remove live sessions, kept sessions and other machines' or users' objects. */
  includeRunning: boolean;
  /** Decide and report, remove nothing. */
  dryRun?: boolean;
  now?: Date;
  graceMs?: number;
  /** Keys, this machine and /proc; read from this machine by default. */
  ownership?: OwnershipContext;
  /**
   * Remove only these (container and image IDs): what a person confirmed from a dry run. What
   * appeared since is kept, so that the answer covers exactly what was shown.
   */
  onlyIds?: ReadonlySet<string>;
}

export interface PrunedObject {
  type: 'container' | 'image';
  id: string;
  name: string;
  kind: string;
  session: string;
  /** Why it is (or would be) removed, or why it is kept. */
  reason: string;
  /** The state of the client that made it: alive, dead or unknown. */
  client: Decision['client']['state'];
  /**
   * Set when the engine cannot remove it (a pod's ephemeral container): its process is ended
   * instead, and this says what stays, in the engine's words.
   */
  remains?: string;
}

export interface PruneReport {
  dryRun: boolean;
  /** Removed; with dryRun, what would be removed. */
  removed: PrunedObject[];
  /** Left alone on purpose. */
  kept: PrunedObject[];
  /** Meant to be removed, but the engine refused or failed. */
  failed: PrunedObject[];
  /** Why nothing can be recognised as this user's (no owner key on this machine); empty otherwise. */
  notes: string[];
}

/** A session starting right now has objects between create and start: even --all leaves them this long. */
export const PRUNE_GRACE_MS = 60_000;

export async function pruneSessions(engine: Engine, options: PruneOptions): Promise<PruneReport> {
  const ownership = options.ownership ?? { keys: verifyingKeys(), local: localClientHost(), readStat: readProcStat };
  const rules: PruneRules = {
    ...ownership,
    all: options.includeRunning,
    now: (options.now ?? new Date()).getTime(),
    graceMs: options.graceMs ?? PRUNE_GRACE_MS,
  };
  const dryRun = options.dryRun ?? false;
  const report: PruneReport = { dryRun, removed: [], kept: [], failed: [], notes: [] };

  const [labelled, everyContainer] = await Promise.all([
    engine.listContainers({ all: true, labels: [LABEL_SESSION] }),
    engine.listContainers({ all: true }),
  ]);
  const imageLabels = cachedImageLabels(engine);
  const gone = new Set<string>();
  for (const container of labelled) {
    // Labels the engine knows were set on the object itself cannot come from an image.
    const image = container.labelsSetOnObject === true ? {} : await imageLabels(container.imageId ?? container.image);
    const facts = {
      type: 'container' as const,
      labels: container.labels,
      imageLabels: image === 'gone' ? undefined : image,
      madeFromRemovedSnapshot: image === 'gone' && container.imageId !== undefined && container.labels[LABEL_SNAPSHOT] === container.imageId,
      detached: container.labels[LABEL_DETACHED] === 'true',
    };
    let decision = decide(facts, rules);
    // Whether it was made with --keep is asked only when it matters: the list does not say.
    // One inspect answers that and, below, whether it must be stopped before it is removed.
    let inspected: Target | null | undefined = null;
    if (decision.action === 'remove') {
      inspected = container.status === 'created' ? null : await inspectInTime(engine, container.id);
      decision =
        inspected === undefined
          ? { ...decision, action: 'keep', reason: 'the engine does not answer about it (is an operation on it stuck?)' }
          : decide({ ...facts, keptOnPurpose: keptOnPurposeAsInspected(container, inspected) }, rules);
    }
    if (decision.action === 'remove' && options.onlyIds !== undefined && !options.onlyIds.has(container.id)) {
      decision = { ...decision, action: 'keep', reason: 'not in the list that was confirmed' };
    }
    const entry = describeContainer(container, decision);
    if (decision.action === 'keep') {
      report.kept.push(entry);
      continue;
    }
    if (container.unremovable !== undefined) {
      const outcome = dryRun ? undefined : await endUnremovable(engine, container.id);
      if (outcome === undefined) report.removed.push({ ...entry, remains: container.unremovable });
      else report.failed.push({ ...entry, reason: outcome });
      continue;
    }
    try {
      if (!dryRun) {
        if (inspected && mustStopFirst(inspected)) await stopSession(engine, container.id);
        // Never its volumes: an anonymous volume may hold data sidekick did not write.
        await engine.removeContainer(container.id, { force: true, volumes: false });
      }
      report.removed.push(entry);
      gone.add(container.id);
    } catch (error) {
      report.failed.push({ ...entry, reason: errorText(error) });
    }
  }

  // Images after containers: a snapshot can go only once no container uses it. An engine that keeps no images has none to prune.
  const imageStore = engine.images;
  const images = imageStore === undefined ? [] : await imageStore.listImages({ labels: [LABEL_SESSION] });
  for (const image of images) {
    const session = image.labels[LABEL_SESSION] ?? '';
    const reference = `${SNAPSHOT_REPOSITORY}:${session}`;
    const usedBy = everyContainer.filter((c) => !gone.has(c.id) && c.imageId === image.id).map((c) => c.names[0] ?? shortId(c.id));
    let decision = decide({ type: 'image', labels: image.labels, snapshotTagged: image.repoTags.includes(reference), usedBy }, rules);
    if (decision.action === 'remove' && options.onlyIds !== undefined && !options.onlyIds.has(image.id)) {
      decision = { ...decision, action: 'keep', reason: 'not in the list that was confirmed' };
    }
    const entry: PrunedObject = {
      type: 'image',
      id: image.id,
      name: image.repoTags.includes(reference) ? reference : (image.repoTags[0] ?? shortId(image.id)),
      kind: image.labels[LABEL_KIND] ?? '',
      session,
      reason: decision.reason,
      client: decision.client.state,
    };
    if (decision.action === 'keep') {
      report.kept.push(entry);
      continue;
    }
    try {
      // By the snapshot's own tag: a tag someone else gave the same image stays, and so does the image then.
      if (!dryRun) await imageStore?.removeImage(reference);
      report.removed.push(entry);
    } catch (error) {
      report.failed.push({ ...entry, reason: errorText(error) });
    }
  }
  if (ownership.keys.length === 0 && report.kept.length > 0) {
    report.notes.push(`no owner key on this machine (${ownerKeyDirectories(process.env).join(', ')}): no object can be recognised as yours`);
  }
  return report;
}

function describeContainer(container: ContainerSummary, decision: Decision): PrunedObject {
  return {
    type: 'container',
    id: container.id,
    name: container.names[0] ?? '',
    kind: container.labels[LABEL_KIND] ?? '',
    session: container.labels[LABEL_SESSION] ?? '',
    reason: decision.reason,
    client: decision.client.state,
  };
}

/** An image's labels; 'gone' when the engine says there is no such image; undefined when it could not be read. */
function cachedImageLabels(engine: Engine): (reference: string) => Promise<Record<string, string> | 'gone' | undefined> {
  const cache = new Map<string, Promise<Record<string, string> | 'gone' | undefined>>();
  return (reference) => {
    let labels = cache.get(reference);
    if (labels === undefined) {
      labels =
        reference === '' || engine.images === undefined
          ? Promise.resolve(undefined)
          : engine.images.imageLabels(reference).then(
              (found) => found ?? 'gone',
              () => undefined,
            );
      cache.set(reference, labels);
    }
    return labels;
  };
}

/**
 * A container the engine cannot remove (a pod's ephemeral container) is ended: its session
 * is stopped as any other's, then its state is read again. Undefined when it has ended, else why not.
 */
async function endUnremovable(engine: Engine, id: string): Promise<string | undefined> {
  await stopSession(engine, id);
  const after = await inspectInTime(engine, id);
  if (after === undefined) return 'the engine does not answer about it after it was asked to end';
  return after !== null && after.status === 'running' ? 'its process did not end' : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * A running sidekick in another container's PID namespace is stopped before it is removed, so
 * that its session shell ends its processes and its init reaps them: a forced removal would hand
 * them to the target's PID 1 as zombies. Not one with volumes: stopping an auto-removed container
 * makes the engine remove its anonymous volumes with it.
 */
function mustStopFirst(inspected: Target): boolean {
  return inspected.status === 'running' && ['container', 'pod'].includes(inspected.namespaceModes.pid.kind) && !inspected.mounts.some((mount) => mount.type === 'volume');
}
