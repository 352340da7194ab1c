import type { Socket } from 'node:net';
import type { Tunnel, TunnelEnd } from './tunnel.js';

export type ConnectionOutcome =
  | { kind: 'closed' }
  /** Nothing listens on the remote port: the local connection was reset, as a refusal would be. */
  | { kind: 'refused' }
  | { kind: 'failed'; reason: string };

/**
 * Carries one local TCP connection through a tunnel (./tunnel.ts) byte for byte, in both
 * directions, with backpressure:
 *
 * - local half-close (FIN) ends the tunnel's stdin, and nc shuts down its sending side, so
 *   the remote server reads EOF and can still answer;
 * - the remote's end reaches the local side as FIN, once every byte has been written, only
 *   when nc ended normally;
 * - every other end resets the local connection (RST), so that the client sees a failed
 *   connection, never a short answer that looks complete: a refused remote connection, nc
 *   failing, the tunnel killed with the target, the engine gone, an exec the engine would
 *   not start (its error text is never passed on as data);
 * - a client that resets or vanishes ends the connection in the target at once.
 *
 * busybox nc exits as soon as the remote closes its sending side, so a remote half-close is
 * seen as a full close: what the local side sends after it is read and dropped.
 * Never rejects: one connection's failure is reported and ends only that connection.
 */
export async function bridgeConnection(local: Socket, openTunnel: () => Promise<Tunnel>): Promise<ConnectionOutcome> {
  // An error on the local socket (a reset by the client) must not crash the forward.
  let localFailed = false;
  local.on('error', () => {
    localFailed = true;
  });
  const localClosed = new Promise<void>((resolve) => local.once('close', () => resolve()));

  let tunnel: Tunnel;
  try {
    tunnel = await openTunnel();
  } catch (error) {
    resetLocal(local);
    return { kind: 'failed', reason: error instanceof Error ? error.message : String(error) };
  }
  let tunnelEnded = false;
  const ending = tunnel.ended.then((end) => {
    tunnelEnded = true;
    return end;
  });
  if (local.destroyed) {
    // The client gave up while the tunnel was being opened.
    tunnel.abort();
    await ending;
    return { kind: 'closed' };
  }

  // Local -> remote. pipe() ends the tunnel's stdin when the client half-closes.
  local.pipe(tunnel.stdin);
  local.once('close', () => {
    // The client is gone (reset, or an error writing to it): nothing can reach it any more.
    if (!tunnelEnded) tunnel.abort();
    if (!tunnel.stdin.writableEnded) tunnel.stdin.end();
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

  const end = await ending;
  local.unpipe(tunnel.stdin);
  if (localFailed || local.destroyed) {
    await localClosed;
    return { kind: 'closed' };
  }
  if (end.kind !== 'exited' || end.status !== 0) {
    resetLocal(local);
    await localClosed;
    if (end.kind === 'refused' || (end.kind === 'exited' && received === 0 && /refused/i.test(end.message))) return { kind: 'refused' };
    return { kind: 'failed', reason: failureReason(end) };
  }

  // Every byte the remote sent is passed on before the close.
  await whenStreamEnded(tunnel.stdout, local);
  if (local.destroyed) {
    await localClosed;
    return { kind: 'closed' };
  }
  local.end();
  // The remote is gone: whatever the client still sends has nowhere to go. Read it and drop
  // it until the client closes, rather than reset data it is still reading.
  local.on('data', () => undefined);
  local.resume();
  // destroy() would drop writes still queued in Node: wait until they reached the kernel.
  const writeDone = whenEither(local, 'finish', local.writableFinished);
  const readDone = whenEither(local, 'end', local.readableEnded);
  await Promise.all([writeDone, readDone]);
  local.destroy();
  await localClosed;
  return { kind: 'closed' };
}

/** Resolves when `stream` has handed on its last byte, or when the local socket is gone. */
function whenStreamEnded(stream: NodeJS.ReadableStream & { readableEnded: boolean }, local: Socket): Promise<void> {
  if (stream.readableEnded || local.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', () => resolve());
    local.once('close', () => resolve());
  });
}

/** Resolves on `event` or on close, or at once when it already happened. */
function whenEither(local: Socket, event: 'finish' | 'end', happened: boolean): Promise<void> {
  if (happened || local.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    local.once(event, () => resolve());
    local.once('close', () => resolve());
  });
}

/** RST rather than FIN: the client must see a failed connection, not an answer that looks whole. */
export function resetLocal(local: Socket): void {
  if (local.destroyed) return;
  if (typeof local.resetAndDestroy === 'function') local.resetAndDestroy();
  else local.destroy();
}

function failureReason(end: TunnelEnd): string {
  const line = end.message.split('\n').pop()?.replace(/^nc: /, '');
  switch (end.kind) {
    case 'not-started':
      return `the engine did not start the connection: ${end.message}`;
    case 'lost':
      return 'the connection in the container was cut (the container stopped, or the engine went away)';
    case 'refused':
    case 'failed':
      return oneLine(end.message);
    default:
      return line || `the connection in the container ended with status ${end.status}`;
  }
}

/** An engine's words on one line: a connection's failure is said in one line. */
function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim() || 'the connection failed';
}
