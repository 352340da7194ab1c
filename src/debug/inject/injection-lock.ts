/**
 * One inject or eject at a time per target. The archive API cannot create anything exclusively
 * (an upload replaces files and merges directories), and a lock file in the target would be one
 * more trace; the engine's container names are unique, so the lock is a container that is
 * created and never started, named after the target, and removed when the work ends (every exit
 * path, signals included: the caller's cleanups). A CLI killed with -9 leaves it; the next
 * inject or eject on this host sees that its holder's process is gone and takes it over, and
 * `sidekick prune` removes it as a stale, never-started sidekick container.
 */
import { hostname } from 'node:os';
import { SidekickError } from '../../core/errors.js';
import { newSessionId, sessionLabels } from '../../core/labels.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import { withCommand } from '../engine-hint.js';
import type { Cleanups } from './cleanups.js';
import { processExists } from '../../core/local-process.js';

const LABEL_HOLDER = 'io.sidekick.lock.holder';
const LABEL_PURPOSE = 'io.sidekick.lock.purpose';

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

export function lockName(target: Target): string {
  return `sidekick-inject-lock-${target.id}`;
}

export async function acquireInjectionLock(engine: Engine, target: Target, purpose: 'inject' | 'eject'): Promise<InjectionLock> {
  for (let attempt = 0; ; attempt++) {
    try {
      const id = await createLock(engine, target, purpose);
      let released: Promise<void> | undefined;
      return { release: () => (released ??= engine.removeContainer(id, { force: true })) };
    } catch (error) {
      if (!isNameConflict(error) || attempt > 0) {
        if (isNameConflict(error)) throw busy(engine, target, undefined);
        throw error;
      }
      const holder = await currentHolder(engine, target);
      if (holder === undefined) continue; // released in between: try once more
      if (!holderIsGone(holder.labels[LABEL_HOLDER])) throw busy(engine, target, holder.labels);
      await engine.removeContainer(holder.id, { force: true });
    }
  }
}

async function createLock(engine: Engine, target: Target, purpose: string): Promise<string> {
  return engine.createContainer({
    // The target's own image is on the engine for as long as the target exists; never started.
    image: target.imageId,
    entrypoint: ['/sidekick-lock-never-runs'],
    cmd: [],
    env: [],
    tty: false,
    openStdin: false,
    mounts: [],
    networkMode: { kind: 'private' },
    extraNetworks: [],
    disableHealthcheck: true,
    capAdd: [],
    privileged: false,
    autoRemove: false,
    name: lockName(target),
    labels: {
      ...sessionLabels({ session: newSessionId(), kind: 'lock', target: target.id, created: new Date() }),
      [LABEL_HOLDER]: `${hostname()}:${process.pid}`,
      [LABEL_PURPOSE]: purpose,
    },
  });
}

function isNameConflict(error: unknown): boolean {
  return error instanceof SidekickError && /already in use/i.test(error.message);
}

async function currentHolder(engine: Engine, target: Target): Promise<{ id: string; labels: Record<string, string> } | undefined> {
  const found = await engine.listContainers({ all: true, labels: [`io.sidekick.target=${target.id}`, 'io.sidekick.kind=lock'] });
  const lock = found.find((c) => c.names.includes(lockName(target)));
  return lock === undefined ? undefined : { id: lock.id, labels: lock.labels };
}

/** Only a holder on this host can be known to be gone: its process no longer exists. */
function holderIsGone(holder: string | undefined): boolean {
  const match = /^(.*):(\d+)$/.exec(holder ?? '');
  if (!match || match[1] !== hostname()) return false;
  const pid = Number(match[2]);
  if (pid === process.pid) return false;
  return !processExists(pid);
}

function busy(engine: Engine, target: Target, labels: Record<string, string> | undefined): SidekickError {
  const what = labels?.[LABEL_PURPOSE] === 'eject' ? 'ejecting from' : 'injecting into';
  const who = labels?.[LABEL_HOLDER] ? ` (process ${labels[LABEL_HOLDER]}, since ${labels['io.sidekick.created'] ?? '?'})` : '';
  return new SidekickError('INJECTION_REFUSED', `another sidekick is ${what} ${target.name}${who}.`, {
    hint: `Wait for it to finish and try again.${withCommand(' If it was killed, remove its lock', engine.commands.removeContainer(lockName(target), { force: false, volumes: false }), ': ')}`,
  });
}
