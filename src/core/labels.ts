/** The label schema every object sidekick creates on an engine carries (docs/ARCHITECTURE.md, "Labels"). */
import { formatClientId, type ClientId } from './ownership/client-id.js';
import { localClientId } from './ownership/local-client.js';
import { signingKey } from './ownership/owner-key.js';
import { ownerMark, type MarkedFields } from './ownership/owner-mark.js';

export const LABEL_SESSION = 'io.sidekick.session';
export const LABEL_KIND = 'io.sidekick.kind';
export const LABEL_TARGET = 'io.sidekick.target';
export const LABEL_CREATED = 'io.sidekick.created';
/** The CLI process that made the object (ownership/client-id.ts): is the session still wanted? */
export const LABEL_CLIENT = 'io.sidekick.client';
/** Proof that sidekick, for this user on this machine, made the object (ownership/owner-mark.ts). */
export const LABEL_OWNER = 'io.sidekick.owner';
/**
 * On a copy whose snapshot image sidekick removed once the copy held its layers: that image's
 * ID. A container made from an image that is gone cannot be checked for inherited labels; one
 * made from exactly the snapshot its own label names was made by sidekick (prune-decision.ts).
 */
export const LABEL_SNAPSHOT = 'io.sidekick.snapshot';
/**
 * Set to "true" on a sidekick started with `exec -d`: its client is gone on purpose, so plain
 * `prune` keeps it as it keeps --keep ones. Not covered by the owner mark: a forged one can only
 * make prune keep something.
 */
export const LABEL_DETACHED = 'io.sidekick.detached';
/** A lock's holder (`host:pid`) and why it holds it (inject, eject): debug/inject/injection-lock.ts. */
export const LABEL_LOCK_HOLDER = 'io.sidekick.lock.holder';
export const LABEL_LOCK_PURPOSE = 'io.sidekick.lock.purpose';
export const LABEL_TOOLBOX_SOURCE = 'io.sidekick.toolbox.source';
export const LABEL_TOOLBOX_STATIC = 'io.sidekick.toolbox.static';
/** Set on a toolbox image that holds the sidekick's init, to its path. */
export const LABEL_TOOLBOX_INIT = 'io.sidekick.toolbox.init';
/** Set on a toolbox image that holds the dynamic view's busybox, to its directory (core/dynamic-view.ts). */
export const LABEL_TOOLBOX_VIEW = 'io.sidekick.toolbox.view';
/** Set on a toolbox built from packages: what it was built from (`suite arch pkg,pkg…`). */
export const LABEL_TOOLBOX_PACKAGES = 'io.sidekick.toolbox.packages';

export type ObjectKind = 'sidekick' | 'copy' | 'forwarder' | 'toolbox' | 'lock';

export interface SessionLabels {
  session: string;
  kind: ObjectKind;
  target?: string;
  created: Date;
}

/** Who signs: the key (none when no key could be kept) and the client to record. */
export interface Ownership {
  key: Buffer | undefined;
  client: ClientId;
}

/**
 * Makes the first sessionLabels of this process cheap: its owner key and client identity are
 * read once (a few files, an HMAC, tens of ms). Called with setImmediate right after an engine
 * request is sent, the work is done while the engine answers.
 */
export function warmSessionLabels(): void {
  sessionLabels({ session: 'warm-up', kind: 'sidekick', created: new Date() });
}

/**
 * The labels of a new object, with the creating client and the owner mark added. Never
 * throws: an object without a mark still works, `prune` just never removes it.
 */
export function sessionLabels(labels: SessionLabels): Record<string, string> {
  let ownership: Ownership | undefined;
  try {
    ownership = { key: signingKey().key, client: localClientId() };
  } catch {
    ownership = undefined;
  }
  return ownedSessionLabels(labels, ownership);
}

export function ownedSessionLabels(labels: SessionLabels, ownership: Ownership | undefined): Record<string, string> {
  const result: Record<string, string> = {
    [LABEL_SESSION]: labels.session,
    [LABEL_KIND]: labels.kind,
    [LABEL_CREATED]: labels.created.toISOString(),
  };
  if (labels.target !== undefined) result[LABEL_TARGET] = labels.target;
  if (ownership === undefined) return result;
  result[LABEL_CLIENT] = formatClientId(ownership.client);
  if (ownership.key !== undefined) result[LABEL_OWNER] = ownerMark(ownership.key, markedFields(result));
  return result;
}

/** The labels an owner mark covers, read from an object's labels. */
export function markedFields(labels: Record<string, string>): MarkedFields {
  return {
    session: labels[LABEL_SESSION] ?? '',
    kind: labels[LABEL_KIND] ?? '',
    target: labels[LABEL_TARGET] ?? '',
    created: labels[LABEL_CREATED] ?? '',
    client: labels[LABEL_CLIENT] ?? '',
  };
}

export function newSessionId(random: () => number = Math.random): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  for (let i = 0; i < 10; i++) id += alphabet[Math.floor(random() * alphabet.length)];
  return id;
}
