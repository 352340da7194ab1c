/**
 * The Kubernetes remote-command websocket subprotocols `v4.channel.k8s.io` and
 * `v5.channel.k8s.io`, as spoken on `pods/exec` and `pods/attach` (docs/ARCHITECTURE.md,
 * "Kubernetes wire layer"). Pure encode/decode of single websocket messages; the socket,
 * the session and the error translation live elsewhere.
 *
 * What the wire looks like (facts checked against kubernetes/kubernetes and
 * kubernetes-client/javascript; file names relative to kubernetes/kubernetes
 * `staging/src/k8s.io/` unless said otherwise):
 * - Every message is a binary websocket message whose first byte is the channel
 *   (apiserver/pkg/util/wsstream/conn.go, "channel.k8s.io" doc and Conn.write/handle).
 *   Channels: 0 stdin, 1 stdout, 2 stderr, 3 error (status), 4 resize, 255 close
 *   (apimachinery/pkg/util/remotecommand/constants.go, StreamStdIn … StreamClose).
 * - v4 adds exit codes: the error channel carries one JSON metav1.Status. Success means
 *   exit 0; Failure with reason "NonZeroExitCode" carries the code as the message of the
 *   cause whose reason (CauseType) is "ExitCode"; any other Failure is an error with the
 *   status's message (client-go/tools/remotecommand/v4.go, errorDecoderV4.decode; the
 *   server side: kubelet/pkg/cri/streaming/remotecommand/exec.go, ServeExec). client-go
 *   reads the whole error channel before decoding it, and an empty one means success
 *   (client-go/tools/remotecommand/errorstream.go, watchErrorStream).
 * - Resize (channel 4) carries JSON TerminalSize objects `{"Width":w,"Height":h}`, the
 *   Go field names without tags, one after another as a stream (client-go v3.go,
 *   handleResizes with json.Encoder; server: apiserver/pkg/util/proxy/websocket.go,
 *   handleResizeEvents with json.Decoder, which matches keys case-insensitively, so the
 *   JavaScript client's lower-case `{"height":…,"width":…}` is accepted too).
 * - v5 adds CLOSE: the two-byte message [255, channel] half-closes that channel, so the
 *   client can end stdin and still read the output and the status (client-go
 *   tools/remotecommand/websocket.go, stream.Close; kubernetes-client/javascript
 *   src/web-socket-handler.ts, handleStandardInput). v4 has no half-close: ending stdin
 *   there means closing the whole websocket.
 * - The server opens with an empty message on the lowest writable channel (stdout, else
 *   stderr, else error) to say the streams are ready (kubelet/pkg/cri/streaming/
 *   remotecommand/websocket.go and apiserver/pkg/util/proxy/websocket.go,
 *   createWebSocketStreams). Decoders must therefore accept a data message with no payload.
 * - Negotiation: the client lists subprotocols in order of preference; the server picks
 *   the first it supports (wsstream/conn.go, handshake). The apiserver's own websocket
 *   server speaks only v5; the kubelet's speaks v4 (and older ones, which have no exit
 *   code, so sidekick refuses them).
 */

export const STREAM_PROTOCOL_V4 = 'v4.channel.k8s.io';
export const STREAM_PROTOCOL_V5 = 'v5.channel.k8s.io';
export type StreamProtocol = typeof STREAM_PROTOCOL_V4 | typeof STREAM_PROTOCOL_V5;

/** What a client asks for, best first (the `Sec-WebSocket-Protocol` request header). */
export const REMOTE_COMMAND_PROTOCOLS: readonly StreamProtocol[] = [STREAM_PROTOCOL_V5, STREAM_PROTOCOL_V4];

export const CHANNEL = {
  stdin: 0,
  stdout: 1,
  stderr: 2,
  error: 3,
  resize: 4,
  close: 255,
} as const;

export type DataChannel = typeof CHANNEL.stdin | typeof CHANNEL.stdout | typeof CHANNEL.stderr;

export interface TerminalSize {
  columns: number;
  rows: number;
}

/** One websocket message, decoded. `data` may be empty (the server's "ready" message). */
export type ChannelMessage =
  | { kind: 'data'; channel: DataChannel; data: Buffer }
  /** Bytes of the error channel: a part of a metav1.Status, to be joined and read by {@link readStatus}. */
  | { kind: 'status'; data: Buffer }
  /** Bytes of the resize channel: a part of a stream of JSON sizes, to be read by {@link ResizeStreamDecoder}. */
  | { kind: 'resize'; data: Buffer }
  | { kind: 'close'; channel: number };

/** The outcome of a command as the error channel reports it. */
export type CommandOutcome = { kind: 'exited'; exitCode: number } | { kind: 'failed'; message: string };

export class ChannelProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelProtocolError';
  }
}

/**
 * The subprotocol the server chose (the `Sec-WebSocket-Protocol` response header).
 * Anything but v4 or v5 is refused: older versions carry no exit code.
 */
export function negotiatedProtocol(header: string | undefined): StreamProtocol {
  const chosen = header?.trim();
  if (chosen === STREAM_PROTOCOL_V4 || chosen === STREAM_PROTOCOL_V5) return chosen;
  throw new ChannelProtocolError(
    chosen
      ? `the server chose the remote-command protocol "${chosen}", which reports no exit status (need ${STREAM_PROTOCOL_V5} or ${STREAM_PROTOCOL_V4})`
      : `the server chose no remote-command protocol (need ${STREAM_PROTOCOL_V5} or ${STREAM_PROTOCOL_V4})`,
  );
}

/** Server side of the negotiation: the first offered protocol this side speaks, as wsstream's handshake does. */
export function chooseProtocol(offeredHeader: string | undefined, supported: readonly StreamProtocol[]): StreamProtocol | undefined {
  const offered = (offeredHeader ?? '').split(',').map((p) => p.trim());
  return offered.find((p): p is StreamProtocol => (supported as readonly string[]).includes(p));
}

/** Whether stdin can be ended without ending the whole connection. */
export function supportsHalfClose(protocol: StreamProtocol): boolean {
  return protocol === STREAM_PROTOCOL_V5;
}

export function encodeData(channel: DataChannel, data: Uint8Array): Buffer {
  return frame(channel, data);
}

function frame(channel: number, data: Uint8Array): Buffer {
  const message = Buffer.allocUnsafe(data.length + 1);
  message[0] = channel;
  message.set(data, 1);
  return message;
}

export function encodeResize(size: TerminalSize): Buffer {
  for (const value of [size.columns, size.rows]) {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
      throw new ChannelProtocolError(`a terminal size must be whole numbers from 0 to 65535, got ${size.columns}x${size.rows}`);
    }
  }
  return frame(CHANNEL.resize, Buffer.from(JSON.stringify({ Width: size.columns, Height: size.rows })));
}

/** The v5 CLOSE message for a channel. v4 has none: the caller must close the websocket instead. */
export function encodeClose(protocol: StreamProtocol, channel: number): Buffer {
  if (!supportsHalfClose(protocol)) {
    throw new ChannelProtocolError(`${protocol} cannot close one channel; close the connection instead`);
  }
  return Buffer.from([CHANNEL.close, channel]);
}

/** Decodes one binary websocket message (either direction). */
export function decodeMessage(protocol: StreamProtocol, message: Uint8Array): ChannelMessage {
  if (message.length === 0) throw new ChannelProtocolError('an empty message carries no channel');
  const buffer = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const channel = buffer[0] as number;
  const payload = buffer.subarray(1);
  switch (channel) {
    case CHANNEL.stdin:
    case CHANNEL.stdout:
    case CHANNEL.stderr:
      return { kind: 'data', channel, data: payload };
    case CHANNEL.error:
      return { kind: 'status', data: payload };
    case CHANNEL.resize:
      return { kind: 'resize', data: payload };
    case CHANNEL.close:
      if (!supportsHalfClose(protocol)) throw new ChannelProtocolError(`channel 255 (close) does not exist in ${protocol}`);
      if (payload.length !== 1) throw new ChannelProtocolError(`a close message names one channel, got ${payload.length} bytes`);
      return { kind: 'close', channel: payload[0] as number };
    default:
      throw new ChannelProtocolError(`unknown channel ${channel}`);
  }
}

interface StatusShape {
  status?: unknown;
  message?: unknown;
  reason?: unknown;
  details?: { causes?: { reason?: unknown; message?: unknown }[] };
}

/**
 * Reads the whole error channel of a finished session. Empty means success, as client-go
 * reads it; whoever calls this must already know the connection ended normally.
 */
export function readStatus(errorChannel: Uint8Array): CommandOutcome {
  if (errorChannel.length === 0) return { kind: 'exited', exitCode: 0 };
  const text = Buffer.from(errorChannel).toString('utf8');
  let status: StatusShape;
  try {
    status = JSON.parse(text) as StatusShape;
  } catch {
    throw new ChannelProtocolError(`the error channel does not hold a JSON status: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (status === null || typeof status !== 'object') {
    throw new ChannelProtocolError(`the error channel does not hold a status object: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (status.status === 'Success') return { kind: 'exited', exitCode: 0 };
  if (status.status !== 'Failure') {
    throw new ChannelProtocolError(`the error channel holds a status that is neither Success nor Failure: ${JSON.stringify(status.status)}`);
  }
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    if (cause === undefined) throw new ChannelProtocolError('a NonZeroExitCode status without an ExitCode cause');
    // client-go parses it as an unsigned 8-bit decimal; anything else is a protocol error there too.
    const code = typeof cause.message === 'string' && /^\d{1,3}$/.test(cause.message) ? Number(cause.message) : NaN;
    if (!(code <= 255)) throw new ChannelProtocolError(`invalid exit code ${JSON.stringify(cause.message)} in the status`);
    return { kind: 'exited', exitCode: code };
  }
  return { kind: 'failed', message: typeof status.message === 'string' && status.message !== '' ? status.message : 'the command failed' };
}

/**
 * The status a server writes on the error channel (for the test double; the shapes are
 * those of ServeExec in kubelet/pkg/cri/streaming/remotecommand/exec.go, marshalled as
 * metav1.Status is: `metadata` always present, empty fields left out).
 */
export function encodeStatus(outcome: CommandOutcome): Buffer {
  let status: object;
  if (outcome.kind === 'exited' && outcome.exitCode === 0) {
    status = { metadata: {}, status: 'Success' };
  } else if (outcome.kind === 'exited') {
    status = {
      metadata: {},
      status: 'Failure',
      // The text after the colon is the runtime's own error; only the cause is read by clients.
      message: `command terminated with non-zero exit code: exit status ${outcome.exitCode}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(outcome.exitCode) }] },
    };
  } else {
    // apierrors.NewInternalError: reason InternalError, code 500.
    status = {
      metadata: {},
      status: 'Failure',
      message: `Internal error occurred: ${outcome.message}`,
      reason: 'InternalError',
      details: { causes: [{ message: outcome.message }] },
      code: 500,
    };
  }
  return frame(CHANNEL.error, Buffer.from(JSON.stringify(status)));
}

/**
 * Reads the resize channel as the stream of JSON objects it is: one message may carry
 * several sizes, and one size may be split across messages.
 */
export class ResizeStreamDecoder {
  private pending = '';

  push(data: Uint8Array): TerminalSize[] {
    this.pending += Buffer.from(data).toString('utf8');
    const sizes: TerminalSize[] = [];
    for (;;) {
      const end = endOfFirstObject(this.pending);
      if (end === undefined) break;
      const text = this.pending.slice(0, end);
      this.pending = this.pending.slice(end);
      sizes.push(toTerminalSize(text));
    }
    if (this.pending.trim() === '') this.pending = '';
    else if (!this.pending.trimStart().startsWith('{')) {
      throw new ChannelProtocolError(`the resize channel holds something else than JSON objects: ${JSON.stringify(this.pending.slice(0, 100))}`);
    }
    return sizes;
  }
}

/** Index just past the first complete top-level `{…}` (strings and escapes respected), or undefined. */
function endOfFirstObject(text: string): number | undefined {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

function toTerminalSize(text: string): TerminalSize {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ChannelProtocolError(`a resize message is not JSON: ${JSON.stringify(text.slice(0, 100))}`);
  }
  const fields = new Map(Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k.toLowerCase(), v]));
  const columns = fields.get('width') ?? 0;
  const rows = fields.get('height') ?? 0;
  if (!isUint16(columns) || !isUint16(rows)) {
    throw new ChannelProtocolError(`a resize message holds no valid size: ${JSON.stringify(text.slice(0, 100))}`);
  }
  return { columns, rows };
}

function isUint16(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff;
}
