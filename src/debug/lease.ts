/**
 * A session's lease (docs/RELIABILITY.md, "a client killed with -9"): while the client lives it
 * sends the session's first process a harmless signal each second; a guard in the session ends
 * it when LEASE_MISSES renewals in a row did not come.
 */
import type { SignalableProcess } from '../core/process-handle.js';
import { LEASE_SIGNAL, LEASE_VARIABLE } from '../core/lease.js';

/** Renewals a session's guard may miss in a row (one a second) before it ends the session. */
export const LEASE_MISSES = 5;
const LEASE_RENEW_MS = 1_000;

/** The session's environment entry that gives its guard the lease. */
export function leaseEnvironment(): string {
  return `${LEASE_VARIABLE}=${LEASE_MISSES}`;
}

/** Renews the lease until the returned function is called; it never keeps the process alive. */
export function renewLease(process_: SignalableProcess): () => void {
  const timer = setInterval(() => {
    void process_.signal(LEASE_SIGNAL).catch(() => undefined);
  }, LEASE_RENEW_MS);
  timer.unref();
  return () => clearInterval(timer);
}
