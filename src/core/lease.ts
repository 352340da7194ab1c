/**
 * How a session's client keeps it alive (docs/RELIABILITY.md, "A client that went away"): the
 * session's guard reads its length from LEASE_VARIABLE, and the client renews it with
 * LEASE_SIGNAL, ignored by default so that no process of the session dies of it. Sidekicks
 * (core/sidekick-script.ts) and debug copies (core/copy-script.ts) share both.
 */
export const LEASE_VARIABLE = 'SIDEKICK_LEASE';
export const LEASE_SIGNAL = 'SIGURG';
