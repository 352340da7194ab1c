/**
 * One TCP connection to a pod's port over the API's port-forward WebSocket
 * (`v4.channel.k8s.io`; docs/ARCHITECTURE.md, "Kubernetes engine", port-forward). The
 * framing is port-forward-protocol.ts's; this module moves bytes with backpressure and says
 * how the connection ended.
 *
 * One WebSocket per connection, asked for one port: the protocol has no way to carry a
 * second connection on a socket (the kubelet dials each requested port once, when the
 * socket opens: port-forward-protocol.ts has the wire facts), so every local
 * connection gets a socket of its own, and a failed one ends that connection alone.
 *
 * Facts: the server's error channel carries text when the kubelet could not dial or copy
 * (e.g. "… connect: connection refused"), then the server closes; a close after the pod's
 * side ended carries a close frame; a socket cut without one (1006) lost the connection
 * midway. v4 has no close of one channel (v5's CLOSE is remote-command only), so a client's
 * half-close cannot travel: after it, what the pod still sends is passed on until the pod
 * closes or stays quiet for `halfCloseQuietMs` (then the connection is closed in order).
 */
import { PassThrough } from 'node:stream';
import type { PortConnection, PortConnectionEnd } from '../engine.js';
import type { MessageSocket } from './channel-process.js';
import { PortForwardDecoder, PortForwardProtocolError, encodeClientData } from './port-forward-protocol.js';

/** What this module needs of a WebSocket: what an exec's does (channel-process.ts). */
export type PortSocket = MessageSocket;

/** After the client's half-close, how long the pod may stay quiet before the connection is closed. */
export const HALF_CLOSE_QUIET_MS = 5_000;

/** Close codes of a server that ended the socket in order (RFC 6455: normal, or a close frame without a code). */
const ORDERLY_CLOSE = new Set([1000, 1005]);

export function portConnectionOver(socket: PortSocket, port: number, options: { halfCloseQuietMs?: number } = {}): PortConnection {
  const quietMs = options.halfCloseQuietMs ?? HALF_CLOSE_QUIET_MS;
  const decoder = new PortForwardDecoder([port]);
  const output = new PassThrough({ highWaterMark: 1 << 20 });
  const input = new PassThrough();
  let errorText = '';
  let received = 0;
  let failure: string | undefined;
  let quietTimer: NodeJS.Timeout | undefined;
  let halfClosed = false;

  const armQuietTimer = (): void => {
    if (!halfClosed) return;
    clearTimeout(quietTimer);
    quietTimer = setTimeout(() => socket.close(), quietMs);
    quietTimer.unref();
  };

  socket.on('message', (data, isBinary) => {
    if (!isBinary) return; // text frames are the base64 protocol, never negotiated here
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    let events;
    try {
      events = decoder.push(buffer);
    } catch (error) {
      if (!(error instanceof PortForwardProtocolError)) throw error;
      failure ??= `the API server sent what port-forward does not carry: ${error.message}`;
      socket.terminate();
      return;
    }
    for (const event of events) {
      if (event.kind === 'error') {
        if (errorText.length < 4096) errorText += event.text;
        continue;
      }
      received += event.data.length;
      armQuietTimer();
      if (!output.write(event.data)) {
        socket.pause();
        output.once('drain', () => socket.resume());
      }
    }
  });

  const ended = new Promise<PortConnectionEnd>((resolve) => {
    let done = false;
    const finish = (code: number | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(quietTimer);
      const said = errorText.trim();
      let end: PortConnectionEnd;
      if (said !== '') end = received === 0 && /refused/i.test(said) ? { kind: 'refused', message: said } : { kind: 'failed', message: said };
      else if (failure !== undefined) end = { kind: 'failed', message: failure };
      else if (code === undefined || !ORDERLY_CLOSE.has(code)) end = { kind: 'failed', message: `the connection to the API server was cut (WebSocket close ${code ?? 'without a code'})` };
      else end = { kind: 'closed' };
      // Every byte received is in `output` before it ends: the reader gets them all.
      output.end();
      resolve(end);
    };
    socket.on('close', (code) => finish(code));
    socket.on('error', (error) => {
      failure ??= `the connection to the API server failed: ${error.message}`;
      finish(undefined);
    });
  });

  input.on('data', (chunk: Buffer) => {
    input.pause();
    socket.send(encodeClientData(0, chunk), () => input.resume());
  });
  input.on('end', () => {
    halfClosed = true;
    armQuietTimer();
  });
  input.on('error', () => undefined);

  return {
    input,
    output,
    ended,
    abort() {
      clearTimeout(quietTimer);
      output.resume(); // what still comes is for nobody
      socket.terminate();
    },
  };
}
