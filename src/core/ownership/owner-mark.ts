/**
 * The mark that proves sidekick made an object: an HMAC, under a secret kept by the user on
 * the client machine (owner-key.ts), of the labels that say what the object is and who made
 * it. An image cannot forge it without the secret; a fresh nonce per object makes the mark of
 * a container differ from the mark of the image it was made from, so a mark that a container
 * merely inherited from its image's config is recognisable (docs/RELIABILITY.md, "prune and
 * ownership").
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const OWNER_MARK_VERSION = 'v1';
const MAC_HEX_LENGTH = 32;
const NONCE_HEX_LENGTH = 16;
const MARK_PATTERN = /^v1:([0-9a-f]{16}):([0-9a-f]{32})$/;

/** The labels a mark covers; a change to any of them breaks the mark. */
export interface MarkedFields {
  session: string;
  kind: string;
  /** "" when the object has no target. */
  target: string;
  created: string;
  client: string;
}

export function newNonce(): string {
  return randomBytes(NONCE_HEX_LENGTH / 2).toString('hex');
}

function mac(key: Buffer, nonce: string, fields: MarkedFields): string {
  // JSON of an array: no field can run into the next one, whatever characters it holds.
  const message = JSON.stringify(['sidekick-owner', OWNER_MARK_VERSION, nonce, fields.session, fields.kind, fields.target, fields.created, fields.client]);
  return createHmac('sha256', key).update(message).digest('hex').slice(0, MAC_HEX_LENGTH);
}

export function ownerMark(key: Buffer, fields: MarkedFields, nonce: string = newNonce()): string {
  return `${OWNER_MARK_VERSION}:${nonce}:${mac(key, nonce, fields)}`;
}

/** Whether a value has the shape of a mark (made by some sidekick, with a key this one may not hold). */
export function isWellFormedMark(mark: string | undefined): boolean {
  return mark !== undefined && MARK_PATTERN.test(mark);
}

/** Whether the mark was made with one of `keys` over exactly these fields. */
export function verifyOwnerMark(mark: string | undefined, fields: MarkedFields, keys: readonly Buffer[]): boolean {
  const parts = mark === undefined ? null : MARK_PATTERN.exec(mark);
  if (!parts) return false;
  const [, nonce, given] = parts as unknown as [string, string, string];
  const givenBytes = Buffer.from(given, 'hex');
  return keys.some((key) => timingSafeEqual(Buffer.from(mac(key, nonce, fields), 'hex'), givenBytes));
}
