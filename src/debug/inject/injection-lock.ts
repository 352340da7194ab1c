/**
 * One inject or eject at a time per target. The archive API cannot create anything exclusively
 * (an upload replaces files and merges directories), and a lock file in the target would be one
 * more trace; so the lock is the engine's (its `targetLocks`: on Docker a container never
 * started, on Kubernetes a Lease), created exclusively and removed when the work ends (every
 * exit path, signals included: the caller's cleanups). A CLI killed with -9 leaves it; the next
 * inject or eject on this host sees that its holder's process is gone and takes it over, and
 * `sidekick prune` removes it.
 */
import { hostname } from 'node:os';
import { SidekickError } from '../../core/errors.js';
import { LABEL_CREATED, LABEL_LOCK_HOLDER, LABEL_LOCK_PURPOSE, newSessionId, sessionLabels } from '../../core/labels.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import { withCommand } from '../engine-hint.js';
import type { Cleanups } from './cleanups.js';
import { processExists } from '../../core/local-process.js';
import { requireCapability } from '../../engines/capabilities.js';

export interface InjectionLock {
  /** Removes the lock; safe to call more than once. */
  release(): Promise<void>;
}

/** Runs `work` holding the target's lock, released on every exit path (`cleanups` covers signals). */
export async function withInjectionLock<T>(engine: Engine, target: Target, purpose: 'inject' | 'eject', cleanups: Cleanups | undefined, work: () => Promise<T>): Promise<T> {
  const acquiring = acquireInjectionLock(engine, target, purpose);
  // Registered before the engine answers: a signal while the lock is being created must still
  // remove the lock the engine makes, which this process learns of only with that answer.
  const unregister = cleanups?.add(async () => (await acquiring.catch(() => undefined))?.release());
  let lock: InjectionLock;
  try {
    lock = await acquiring;
  } catch (error) {
    unregister?.();
    throw error;
  }
  try {
    await cleanups?.checkpoint();
    return await work();
  } finally {
    // Unregistered only once released: a signal handler running now must wait for the same release.
    await lock.release();
    unregister?.();
  }
}

export async function acquireInjectionLock(engine: Engine, target: Target, purpose: 'inject' | 'eject'): Promise<InjectionLock> {
  const locks = requireCapability(engine, 'targetLocks', `lock ${target.name} for the injection (sidekick ${purpose})`);
  for (let attempt = 0; ; attempt++) {
    const id = await locks.createTargetLock(target, lockRecord(target, purpose));
    if (id !== undefined) {
      let released: Promise<void> | undefined;
      return { release: () => (released ??= locks.removeTargetLock(target, id)) };
    }
    if (attempt > 0) throw busy(engine, target, undefined);
    const holder = await locks.findTargetLock(target);
    if (holder === undefined) continue; // released in between: try once more
    if (!holderIsGone(holder.record[LABEL_LOCK_HOLDER])) throw busy(engine, target, holder.record);
    await locks.removeTargetLock(target, holder.id);
  }
}

/** What the lock says of its holder, as a sidekick's labels: `sessions` and `prune` read them. */
function lockRecord(target: Target, purpose: string): Record<string, string> {
  return {
    ...sessionLabels({ session: newSessionId(), kind: 'lock', target: target.id, created: new Date() }),
    [LABEL_LOCK_HOLDER]: `${hostname()}:${process.pid}`,
    [LABEL_LOCK_PURPOSE]: purpose,
  };
}

/** Only a holder on this host can be known to be gone: its process no longer exists. */
function holderIsGone(holder: string | undefined): boolean {
  const match = /^(.*):(\d+)$/.exec(holder ?? '');
  if (!match || match[1] !== hostname()) return false;
  const pid = Number(match[2]);
  if (pid === process.pid) return false;
  return !processExists(pid);
}

function busy(engine: Engine, target: Target, record: Record<string, string> | undefined): SidekickError {
  const what = record?.[LABEL_LOCK_PURPOSE] === 'eject' ? 'ejecting from' : 'injecting into';
  const who = record?.[LABEL_LOCK_HOLDER] ? ` (process ${record[LABEL_LOCK_HOLDER]}, since ${record[LABEL_CREATED] ?? '?'})` : '';
  return new SidekickError('INJECTION_REFUSED', `another sidekick is ${what} ${target.name}${who}.`, {
    hint: `Wait for it to finish and try again.${withCommand(' If it was killed, remove its lock', engine.targetLocks?.removeTargetLockCommand(target), ': ')}`,
  });
}
