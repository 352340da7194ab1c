import type { Socket } from 'node:net';
import type { ProcessHandle } from '../../core/process-handle.js';

export type ConnectionOutcome =
  | { kind: 'closed' }
  /** Nothing listens on the remote port: the local connection was reset, as a refusal would be. */
  | { kind: 'refused' }
  | { kind: 'failed'; reason: string };

/**
 * Carries one local TCP connection through a tunnel process (busybox nc in the forwarder)
 * byte for byte, in both directions, with backpressure:
 *
 * - local half-close (FIN) ends the tunnel's stdin, and nc shuts down its sending side, so
 *   the remote server reads EOF and can still answer;
 * - the remote's end reaches the local side as FIN once every byte has been written;
 * - a refused remote connection (nc exits 1 without a byte) resets the local connection,
 *   which is what the client would have seen connecting directly.
 *
 * busybox nc exits as soon as the remote closes its sending side, so a remote half-close is
 * seen as a full close: what the local side sends after it is read and dropped.
 * Never rejects: one connection's failure is reported and ends only that connection.
 */
export async function bridgeConnection(local: Socket, openTunnel: () => Promise<ProcessHandle>): Promise<ConnectionOutcome> {
  // An error on the local socket (a reset by the client) must not crash the forward.
  let localFailed = false;
  local.on('error', () => {
    localFailed = true;
  });
  const localClosed = new Promise<void>((resolve) => local.once('close', () => resolve()));

  let tunnel: ProcessHandle;
  try {
    tunnel = await openTunnel();
  } catch (error) {
    resetLocal(local);
    return { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }
  const tunnelStdin = tunnel.stdin!;
  tunnelStdin.on('error', () => undefined);

  // Local -> remote. pipe() ends the tunnel's stdin when the client half-closes.
  local.pipe(tunnelStdin);
  local.once('close', () => {
    // A client that vanished (reset) without FIN still ends its side of the tunnel.
    if (!tunnelStdin.writableEnded) tunnelStdin.end();
  });
  local.resume();

  // Remote -> local.
  let received = 0;
  tunnel.stdout.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (local.destroyed) return;
    if (!local.write(chunk)) {
      tunnel.stdout.pause();
      local.once('drain', () => tunnel.stdout.resume());
    }
  });
  let stderr = '';
  tunnel.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString('utf8');
  });
  const remoteEnded = new Promise<void>((resolve) => tunnel.stdout.once('end', () => resolve()));

  let outcome: ConnectionOutcome = { kind: 'closed' };
  await remoteEnded;
  if (received > 0 && !local.destroyed) {
    // The remote spoke and closed: pass the close on now, not after the engine's exit report.
    local.end();
  }
  const status = await tunnel.exit.catch((error: unknown) => ({ code: -1, error }));
  if (received === 0 && !local.destroyed) {
    if (status.code === 0) local.end();
    else {
      outcome = /refused/i.test(stderr) ? { kind: 'refused' } : { kind: 'failed', reason: failureReason(stderr, status) };
      resetLocal(local);
    }
  } else if (status.code !== 0 && received > 0 && !localFailed) {
    // nc failed mid-stream (e.g. a write error): the bytes so far were delivered, then the close.
    outcome = { kind: 'failed', reason: failureReason(stderr, status) };
  }

  // The remote is gone: whatever the client still sends has nowhere to go. Read it and drop
  // it until the client closes, rather than reset data it is still reading.
  local.unpipe(tunnelStdin);
  local.on('data', () => undefined);
  local.resume();
  // destroy() would drop writes still queued in Node: wait until they reached the kernel.
  const writeDone = whenEither(local, 'finish', local.writableFinished);
  const readDone = whenEither(local, 'end', local.readableEnded);
  await Promise.all([writeDone, readDone]);
  local.destroy();
  await localClosed;
  return outcome;
}

/** Resolves on `event` or on close, or at once when it already happened. */
function whenEither(local: Socket, event: 'finish' | 'end', happened: boolean): Promise<void> {
  if (happened || local.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    local.once(event, () => resolve());
    local.once('close', () => resolve());
  });
}

function resetLocal(local: Socket): void {
  if (local.destroyed) return;
  // RST rather than FIN: the client must see a failed connection, not an empty answer.
  if (typeof local.resetAndDestroy === 'function') local.resetAndDestroy();
  else local.destroy();
}

function failureReason(stderr: string, status: { code: number; error?: unknown }): string {
  const line = stderr.trim().split('\n').pop()?.replace(/^nc: /, '');
  if (line) return line;
  if ('error' in status && status.error instanceof Error) return status.error.message;
  return `the tunnel ended with status ${status.code}`;
}
