/**
 * The websocket port-forward protocol of `pods/portforward` (docs/ARCHITECTURE.md,
 * "Kubernetes wire layer"): pure encode/decode, no sockets.
 *
 * Facts (paths relative to kubernetes/kubernetes staging/src/k8s.io/ unless said otherwise):
 * - The request is `GET /api/v1/namespaces/N/pods/P/portforward?ports=A&ports=B` upgraded
 *   to a websocket with the subprotocol `v4.channel.k8s.io` (kubernetes-client/javascript
 *   src/portforward.ts builds the path; the kubelet's websocket server accepts
 *   "v4.channel.k8s.io" and "v4.base64.channel.k8s.io": kubelet/pkg/cri/streaming/
 *   portforward/websocket.go, handleWebSocketStreams). `portforward.k8s.io` is the
 *   name of the SPDY protocol (api/core/v1 PortForwardProtocolV1Name); newer API servers
 *   also offer `SPDY/3.1+portforward.k8s.io` tunnelled over websocket
 *   (apiserver/pkg/util/proxy/portforward/streamtranslator.go), which is not this.
 * - Channels come in pairs, one per requested port in request order: data on 2i
 *   (read-write), error on 2i+1 (server to client only) (portforward/websocket.go,
 *   "A pair of streams are created per port (DATA n, ERROR n+1)").
 * - Every message starts with its channel byte, as in the remote-command protocols
 *   (wsstream conn.go). The server's first message on each of the two channels is the
 *   port as an unsigned 16-bit little-endian integer (websocket.go:
 *   binary.LittleEndian.PutUint16 then Write on both streams); the client strips those
 *   two bytes once per channel (javascript src/portforward.ts, needsToReadPortNumber).
 *   The client writes raw bytes on the data channel, with no port prefix.
 * - The error channel carries text, e.g. "error forwarding port 8080 to pod web, uid …: …"
 *   (websocket.go, portForward), after which the server closes the streams. One websocket
 *   is one TCP connection per port: a second local connection needs a second websocket.
 */

export const PORT_FORWARD_PROTOCOL = 'v4.channel.k8s.io';

export class PortForwardProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortForwardProtocolError';
  }
}

/** The request path; ports in the order whose index gives the channel pair. */
export function portForwardPath(namespace: string, pod: string, ports: readonly number[]): string {
  if (ports.length === 0) throw new PortForwardProtocolError('port-forward needs at least one port');
  if (ports.length > 127) throw new PortForwardProtocolError('port-forward can carry at most 127 ports on one connection (two channels each, one byte)');
  for (const port of ports) checkPort(port);
  const query = ports.map((p) => `ports=${p}`).join('&');
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/portforward?${query}`;
}

export function dataChannel(portIndex: number): number {
  return portIndex * 2;
}

export function errorChannel(portIndex: number): number {
  return portIndex * 2 + 1;
}

/** Client to server: bytes for the port at `portIndex`. */
export function encodeClientData(portIndex: number, data: Uint8Array): Buffer {
  return withChannel(dataChannel(portIndex), data);
}

/** Server side (test double): the two-byte port announcement opening a channel. */
export function encodePortAnnouncement(channel: number, port: number): Buffer {
  checkPort(port);
  const message = Buffer.alloc(3);
  message[0] = channel;
  message.writeUInt16LE(port, 1);
  return message;
}

/** Server side (test double): data or error text on a channel. */
export function encodeServerMessage(channel: number, data: Uint8Array | string): Buffer {
  return withChannel(channel, typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
}

export type PortForwardEvent =
  | { kind: 'data'; portIndex: number; data: Buffer }
  /** Error text from the server for one port (possibly a part of it; join until the connection ends). */
  | { kind: 'error'; portIndex: number; text: string };

/**
 * Client side: reads the server's messages for a set of ports, stripping each channel's
 * port announcement (and checking it names the port that was asked for).
 */
export class PortForwardDecoder {
  /** Bytes of the port announcement still to be read, per channel; absent once read. */
  private readonly announcement = new Map<number, Buffer>();

  constructor(private readonly ports: readonly number[]) {
    for (const port of ports) checkPort(port);
    for (let i = 0; i < ports.length; i++) {
      this.announcement.set(dataChannel(i), Buffer.alloc(0));
      this.announcement.set(errorChannel(i), Buffer.alloc(0));
    }
  }

  push(message: Uint8Array): PortForwardEvent[] {
    if (message.length === 0) throw new PortForwardProtocolError('an empty message carries no channel');
    const channel = message[0] as number;
    const portIndex = channel >> 1;
    if (portIndex >= this.ports.length) {
      throw new PortForwardProtocolError(`message on channel ${channel}, but only ${this.ports.length} port(s) were asked for`);
    }
    let payload = Buffer.from(message.buffer, message.byteOffset + 1, message.byteLength - 1);
    const seen = this.announcement.get(channel);
    if (seen !== undefined) {
      const joined = Buffer.concat([seen, payload]);
      if (joined.length < 2) {
        this.announcement.set(channel, joined);
        return [];
      }
      const announced = joined.readUInt16LE(0);
      const expected = this.ports[portIndex] as number;
      if (announced !== expected) {
        throw new PortForwardProtocolError(`channel ${channel} announced port ${announced}, expected ${expected}`);
      }
      this.announcement.delete(channel);
      payload = joined.subarray(2);
    }
    if (payload.length === 0) return [];
    return channel % 2 === 0
      ? [{ kind: 'data', portIndex, data: payload }]
      : [{ kind: 'error', portIndex, text: payload.toString('utf8') }];
  }
}

export type ClientMessage = { kind: 'data'; portIndex: number; data: Buffer };

/** Server side (test double): a client message; clients only write on data channels. */
export function decodeClientMessage(message: Uint8Array, portCount: number): ClientMessage {
  if (message.length === 0) throw new PortForwardProtocolError('an empty message carries no channel');
  const channel = message[0] as number;
  if (channel % 2 !== 0) throw new PortForwardProtocolError(`the client wrote on error channel ${channel}, which is read-only`);
  const portIndex = channel >> 1;
  if (portIndex >= portCount) throw new PortForwardProtocolError(`message on channel ${channel}, but only ${portCount} port(s) are forwarded`);
  return { kind: 'data', portIndex, data: Buffer.from(message.buffer, message.byteOffset + 1, message.byteLength - 1) };
}

/** The ports of a request's query (`ports=80&ports=443`, or comma lists as the kubelet also accepts). */
export function parsePortsQuery(search: URLSearchParams): number[] {
  const values = search.getAll('ports').flatMap((v) => v.split(','));
  if (values.length === 0) throw new PortForwardProtocolError('query parameter "ports" is required');
  return values.map((v) => {
    if (!/^\d{1,5}$/.test(v)) throw new PortForwardProtocolError(`unable to parse "${v}" as a port`);
    const port = Number(v);
    checkPort(port);
    return port;
  });
}

function withChannel(channel: number, data: Uint8Array): Buffer {
  const message = Buffer.allocUnsafe(data.length + 1);
  message[0] = channel;
  message.set(data, 1);
  return message;
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PortForwardProtocolError(`port ${port} is not between 1 and 65535`);
}
