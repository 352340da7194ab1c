/**
 * Which sidekick-labelled objects `prune` removes, and why each of the others is kept
 * (docs/RELIABILITY.md, "prune and ownership"). Labels alone prove nothing: an image's
 * `LABEL` hands them to every container made from it, and anyone can `docker run --label`.
 * What counts is the owner mark (core/ownership/owner-mark.ts), made with this user's key on
 * this machine, set on the object itself rather than inherited from its image, and whether
 * the client that made it is gone.
 */
import { LABEL_CLIENT, LABEL_CREATED, LABEL_KIND, LABEL_OWNER, LABEL_SESSION, markedFields } from '../core/labels.js';
import { clientLiveness, type ClientHost, type ClientLiveness, type StatReading } from '../core/ownership/client-id.js';
import { isWellFormedMark, verifyOwnerMark } from '../core/ownership/owner-mark.js';

/** mine: marked with this user's key here; foreign: marked with a key this machine does not hold. */
export type Ownership = 'mine' | 'foreign' | 'unmarked' | 'inherited' | 'not-a-snapshot';

export interface OwnershipContext {
  keys: readonly Buffer[];
  local: ClientHost;
  readStat: (pid: number) => StatReading;
}

/** What is known of one labelled container or image. */
export interface ObjectFacts {
  type: 'container' | 'image';
  labels: Record<string, string>;
  /** Container: the labels of the image it was made from (undefined: that image could not be read). */
  imageLabels?: Record<string, string> | undefined;
  /**
   * Container: its image is gone (the engine says so, not an error), and it is the snapshot
   * the container's own LABEL_SNAPSHOT names: removed by sidekick on purpose, nothing inherited.
   */
  madeFromRemovedSnapshot?: boolean;
  /** Container: made with --keep (the engine does not remove it when it ends). */
  keptOnPurpose?: boolean;
  /** Container: started with exec -d (LABEL_DETACHED): its client is gone on purpose. */
  detached?: boolean;
  /** Image: carries the tag sidekick gives the snapshot of this session. */
  snapshotTagged?: boolean;
  /** Image: containers (names) that use it and stay. */
  usedBy?: string[];
}

export interface PruneRules extends OwnershipContext {
  /** --all: also objects of live sessions, kept sessions and other machines or users. */
  all: boolean;
  now: number;
  graceMs: number;
}

export interface Decision {
  action: 'remove' | 'keep';
  reason: string;
  ownership: Ownership;
  client: ClientLiveness;
}

export function ownershipOf(facts: ObjectFacts, context: Pick<OwnershipContext, 'keys'>): Ownership {
  const mark = facts.labels[LABEL_OWNER];
  if (facts.type === 'container') {
    const image = facts.imageLabels ?? (facts.madeFromRemovedSnapshot === true ? {} : undefined);
    if (image === undefined) return 'inherited';
    if (mark !== undefined && image[LABEL_OWNER] === mark) return 'inherited';
    // The session label (and no mark of its own) straight from the image's LABEL.
    if (mark === undefined && image[LABEL_SESSION] !== undefined && image[LABEL_SESSION] === facts.labels[LABEL_SESSION]) return 'inherited';
  } else if (facts.labels[LABEL_KIND] !== 'copy' || facts.snapshotTagged !== true) {
    return 'not-a-snapshot';
  }
  if (!isWellFormedMark(mark)) return 'unmarked';
  return verifyOwnerMark(mark, markedFields(facts.labels), context.keys) ? 'mine' : 'foreign';
}

export function decide(facts: ObjectFacts, rules: PruneRules): Decision {
  const ownership = ownershipOf(facts, rules);
  const client = clientLiveness(facts.labels[LABEL_CLIENT], rules.local, rules.readStat);
  const keep = (reason: string): Decision => ({ action: 'keep', reason, ownership, client });
  const remove = (reason: string): Decision => ({ action: 'remove', reason, ownership, client });

  switch (ownership) {
    case 'inherited':
      return keep(
        facts.imageLabels === undefined
          ? 'its image cannot be read, so labels inherited from it cannot be ruled out'
          : 'its sidekick labels come from its image, not from sidekick',
      );
    case 'not-a-snapshot':
      return keep(`not a snapshot sidekick made (only images tagged sidekick-copy:${facts.labels[LABEL_SESSION] ?? ''} are)`);
    case 'unmarked':
      return keep('no sidekick ownership mark: not created by sidekick (or by a version before marks)');
    default:
      break;
  }
  if (facts.usedBy !== undefined && facts.usedBy.length > 0) return keep(`in use by container ${facts.usedBy.join(', ')}`);

  let whyKept: string | undefined;
  if (ownership === 'foreign') whyKept = 'not created by sidekick for this user on this machine (another machine, user or key)';
  else if (facts.keptOnPurpose === true) whyKept = 'kept on purpose (made with --keep)';
  else if (facts.detached === true) whyKept = 'detached on purpose (exec -d)';
  else if (client.state === 'alive') whyKept = `live session of pid ${client.pid}`;
  else if (client.state === 'unknown') whyKept = `${client.reason}: cannot tell whether it is still in use`;
  if (whyKept === undefined) return remove(`orphan: ${client.state === 'dead' ? client.reason : 'its client is gone'}`);
  if (!rules.all) return keep(`${whyKept}; prune --all removes it`);

  // Even --all leaves what may be a session starting right now, between create and start.
  const created = Date.parse(facts.labels[LABEL_CREATED] ?? '');
  if (Number.isNaN(created)) return keep(`${whyKept}; no readable creation time, so it may be starting now`);
  const age = rules.now - created;
  if (age < rules.graceMs) return keep(`${whyKept}; created ${Math.max(0, Math.round(age / 1000))} s ago, it may be starting now`);
  return remove(`--all: ${whyKept}`);
}
