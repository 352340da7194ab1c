/**
 * Recorded exchanges of the remote-command channel protocols, each written from the
 * reference it names (paths relative to kubernetes/kubernetes staging/src/k8s.io/ unless
 * said otherwise). No cluster was involved: these are the shapes the sources produce.
 */
import { describe, expect, it } from 'vitest';
import {
  CHANNEL,
  ChannelProtocolError,
  ResizeStreamDecoder,
  STREAM_PROTOCOL_V4,
  STREAM_PROTOCOL_V5,
  chooseProtocol,
  decodeMessage,
  encodeClose,
  encodeData,
  encodeResize,
  encodeStatus,
  negotiatedProtocol,
  readStatus,
} from './channel-protocol.js';

const bytes = (...values: number[]): Buffer => Buffer.from(values);

describe('framing', () => {
  // apiserver/pkg/util/wsstream/conn.go, the "channel.k8s.io" doc: WRITE []byte{0, 102, 111, 111, 10}
  // sends "foo\n" on stdin; READ []byte{1, 10} receives "\n" on stdout.
  it('prefixes each message with its channel byte, as the wsstream example session shows', () => {
    expect(encodeData(CHANNEL.stdin, Buffer.from('foo\n'))).toEqual(bytes(0, 102, 111, 111, 10));
    expect(decodeMessage(STREAM_PROTOCOL_V4, bytes(1, 10))).toEqual({ kind: 'data', channel: 1, data: bytes(10) });
    expect(decodeMessage(STREAM_PROTOCOL_V5, bytes(2, 0x41))).toEqual({ kind: 'data', channel: 2, data: bytes(0x41) });
  });

  // kubelet/pkg/cri/streaming/remotecommand/websocket.go and apiserver/pkg/util/proxy/websocket.go,
  // createWebSocketStreams: "Send an empty message to the lowest writable channel".
  it('accepts the server\'s empty "streams ready" message on stdout', () => {
    expect(decodeMessage(STREAM_PROTOCOL_V5, bytes(1))).toEqual({ kind: 'data', channel: 1, data: Buffer.alloc(0) });
  });

  // apimachinery/pkg/util/remotecommand/constants.go: StreamErr = 3, StreamResize = 4.
  it('routes channel 3 to the status and channel 4 to resizes', () => {
    expect(decodeMessage(STREAM_PROTOCOL_V4, Buffer.concat([bytes(3), Buffer.from('{"status":"Success"}')]))).toEqual({
      kind: 'status',
      data: Buffer.from('{"status":"Success"}'),
    });
    expect(decodeMessage(STREAM_PROTOCOL_V4, Buffer.concat([bytes(4), Buffer.from('{}')]))).toEqual({ kind: 'resize', data: Buffer.from('{}') });
  });

  it('refuses a message with no channel byte and channels that do not exist', () => {
    expect(() => decodeMessage(STREAM_PROTOCOL_V5, Buffer.alloc(0))).toThrow(ChannelProtocolError);
    expect(() => decodeMessage(STREAM_PROTOCOL_V5, bytes(7, 1))).toThrow(/unknown channel 7/);
  });

  it('decodes a slice of a larger buffer without reading outside it', () => {
    const larger = bytes(9, 9, 1, 0x68, 0x69, 9);
    expect(decodeMessage(STREAM_PROTOCOL_V5, larger.subarray(2, 5))).toEqual({ kind: 'data', channel: 1, data: Buffer.from('hi') });
  });
});

describe('v5 close (half-close of stdin)', () => {
  // client-go/tools/remotecommand/websocket.go, stream.Close: WriteMessage(BinaryMessage, []byte{StreamClose, s.id});
  // kubernetes-client/javascript src/web-socket-handler.ts, handleStandardInput: [255, 0] on stdin end under v5.
  it('ends stdin with the two bytes [255, 0] under v5', () => {
    expect(encodeClose(STREAM_PROTOCOL_V5, CHANNEL.stdin)).toEqual(bytes(255, 0));
    expect(decodeMessage(STREAM_PROTOCOL_V5, bytes(255, 0))).toEqual({ kind: 'close', channel: 0 });
  });

  // javascript src/web-socket-handler.ts: without v5 the socket itself is closed on stdin end;
  // apimachinery wsstream conn_test.go, TestProtocolSupportsStreamClose: only "v5.channel.k8s.io" supports it.
  it('has no close under v4, in either direction', () => {
    expect(() => encodeClose(STREAM_PROTOCOL_V4, CHANNEL.stdin)).toThrow(/close the connection instead/);
    expect(() => decodeMessage(STREAM_PROTOCOL_V4, bytes(255, 0))).toThrow(/does not exist in v4/);
  });

  it('refuses a close message that does not name exactly one channel', () => {
    expect(() => decodeMessage(STREAM_PROTOCOL_V5, bytes(255))).toThrow(/names one channel/);
    expect(() => decodeMessage(STREAM_PROTOCOL_V5, bytes(255, 0, 1))).toThrow(/names one channel/);
  });
});

describe('negotiation', () => {
  // client-go/tools/remotecommand/websocket.go, StreamWithContext: switch on conn.Subprotocol(); "" falls back to v1.
  it('accepts v4 and v5 and refuses older or missing subprotocols, which carry no exit code', () => {
    expect(negotiatedProtocol('v5.channel.k8s.io')).toBe(STREAM_PROTOCOL_V5);
    expect(negotiatedProtocol(' v4.channel.k8s.io ')).toBe(STREAM_PROTOCOL_V4);
    expect(() => negotiatedProtocol('v3.channel.k8s.io')).toThrow(/reports no exit status/);
    expect(() => negotiatedProtocol('channel.k8s.io')).toThrow(/reports no exit status/);
    expect(() => negotiatedProtocol(undefined)).toThrow(/chose no remote-command protocol/);
  });

  // apiserver/pkg/util/wsstream/conn.go, handshake: the client's list in order, the first one allowed wins.
  it('lets the server pick the first offered protocol it speaks', () => {
    expect(chooseProtocol('v5.channel.k8s.io, v4.channel.k8s.io', [STREAM_PROTOCOL_V4, STREAM_PROTOCOL_V5])).toBe(STREAM_PROTOCOL_V5);
    // A kubelet-like server speaking only v4 (kubelet/.../remotecommand/websocket.go lists no v5).
    expect(chooseProtocol('v5.channel.k8s.io, v4.channel.k8s.io', [STREAM_PROTOCOL_V4])).toBe(STREAM_PROTOCOL_V4);
    expect(chooseProtocol('channel.k8s.io', [STREAM_PROTOCOL_V4, STREAM_PROTOCOL_V5])).toBeUndefined();
    expect(chooseProtocol(undefined, [STREAM_PROTOCOL_V5])).toBeUndefined();
  });
});

describe('status on the error channel', () => {
  // kubelet/pkg/cri/streaming/remotecommand/exec.go, ServeExec, success branch: Status{Status: StatusSuccess};
  // client-go v4.go errorDecoderV4.decode: StatusSuccess -> nil.
  it('reads Success as exit 0', () => {
    expect(readStatus(Buffer.from('{"metadata":{},"status":"Success"}'))).toEqual({ kind: 'exited', exitCode: 0 });
  });

  // exec.go ServeExec, ExitError branch: Reason NonZeroExitCode, cause {Type ExitCode, Message "%d"};
  // apimachinery meta/v1 StatusCause: Type is serialised as "reason". (The text after "exit code: " is the
  // runtime's own error message; this one is illustrative, and clients read only the cause.)
  it('reads a NonZeroExitCode failure as its ExitCode cause', () => {
    const recorded =
      '{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c exit 42], exit code 42",' +
      '"reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"42"}]}}';
    expect(readStatus(Buffer.from(recorded))).toEqual({ kind: 'exited', exitCode: 42 });
  });

  // exec.go ServeExec, other errors: apierrors.NewInternalError; v4.go: any other Failure -> fmt.Errorf(status.Message).
  it('reads any other failure as an error carrying the status message', () => {
    const recorded =
      '{"metadata":{},"status":"Failure","message":"Internal error occurred: error executing command in container: container not found","reason":"InternalError",' +
      '"details":{"causes":[{"message":"error executing command in container: container not found"}]},"code":500}';
    expect(readStatus(Buffer.from(recorded))).toEqual({
      kind: 'failed',
      message: 'Internal error occurred: error executing command in container: container not found',
    });
  });

  // client-go/tools/remotecommand/errorstream.go, watchErrorStream: len(message) == 0 -> nil.
  it('reads an empty error channel as success, as client-go does', () => {
    expect(readStatus(Buffer.alloc(0))).toEqual({ kind: 'exited', exitCode: 0 });
  });

  // v4.go errorDecoderV4.decode: "details must be set", "no ExitCode cause given", ParseUint(…, 10, 8) failing,
  // "unknown error" for a status that is neither Success nor Failure, and a JSON error otherwise.
  it('refuses statuses client-go refuses', () => {
    const failure = (rest: object): Buffer => Buffer.from(JSON.stringify({ status: 'Failure', reason: 'NonZeroExitCode', ...rest }));
    expect(() => readStatus(failure({}))).toThrow(/without an ExitCode cause/);
    expect(() => readStatus(failure({ details: { causes: [{ reason: 'Other', message: '1' }] } }))).toThrow(/without an ExitCode cause/);
    expect(() => readStatus(failure({ details: { causes: [{ reason: 'ExitCode', message: '256' }] } }))).toThrow(/invalid exit code "256"/);
    expect(() => readStatus(failure({ details: { causes: [{ reason: 'ExitCode', message: '-1' }] } }))).toThrow(/invalid exit code/);
    expect(() => readStatus(Buffer.from('{"status":"Pending"}'))).toThrow(/neither Success nor Failure/);
    expect(() => readStatus(Buffer.from('command failed'))).toThrow(/does not hold a JSON status/);
    expect(() => readStatus(Buffer.from('null'))).toThrow(/does not hold a status object/);
  });

  it('writes statuses that read back as what was written (the test double\'s side)', () => {
    for (const outcome of [
      { kind: 'exited', exitCode: 0 },
      { kind: 'exited', exitCode: 1 },
      { kind: 'exited', exitCode: 255 },
      { kind: 'failed', message: 'Internal error occurred: no such container' },
    ] as const) {
      const message = encodeStatus(outcome);
      expect(message[0]).toBe(CHANNEL.error);
      const decoded = decodeMessage(STREAM_PROTOCOL_V5, message);
      expect(decoded.kind).toBe('status');
      if (decoded.kind === 'status') {
        const read = readStatus(decoded.data);
        expect(read.kind).toBe(outcome.kind);
        if (outcome.kind === 'exited') expect(read).toEqual(outcome);
        else expect(read).toEqual({ kind: 'failed', message: `Internal error occurred: ${outcome.message}` });
      }
    }
  });
});

describe('resize', () => {
  // client-go/tools/remotecommand/resize.go TerminalSize{Width, Height uint16} (no JSON tags),
  // written by json.Encoder in v3.go handleResizes.
  it('writes {"Width","Height"} on channel 4', () => {
    const message = encodeResize({ columns: 132, rows: 43 });
    expect(message[0]).toBe(4);
    expect(JSON.parse(message.subarray(1).toString())).toEqual({ Width: 132, Height: 43 });
    expect(() => encodeResize({ columns: 70000, rows: 1 })).toThrow(/0 to 65535/);
    expect(() => encodeResize({ columns: 1.5, rows: 1 })).toThrow(/0 to 65535/);
  });

  // apiserver/pkg/util/proxy/websocket.go handleResizeEvents: json.Decoder over the channel's byte stream,
  // so sizes may be split across or packed into messages; Go matches keys case-insensitively, which the
  // JavaScript client (src/terminal-size-queue.ts: {height, width}) relies on.
  it('reads the resize channel as a stream of JSON objects', () => {
    const decoder = new ResizeStreamDecoder();
    expect(decoder.push(Buffer.from('{"Width":80,"Hei'))).toEqual([]);
    expect(decoder.push(Buffer.from('ght":24}\n{"height":50,"width":200}{"Width":1,'))).toEqual([
      { columns: 80, rows: 24 },
      { columns: 200, rows: 50 },
    ]);
    expect(decoder.push(Buffer.from('"Height":2}'))).toEqual([{ columns: 1, rows: 2 }]);
    expect(new ResizeStreamDecoder().push(encodeResize({ columns: 7, rows: 9 }).subarray(1))).toEqual([{ columns: 7, rows: 9 }]);
  });

  it('refuses what is not a size', () => {
    expect(() => new ResizeStreamDecoder().push(Buffer.from('{"Width":-1,"Height":2}'))).toThrow(/no valid size/);
    expect(() => new ResizeStreamDecoder().push(Buffer.from('80x24'))).toThrow(/something else than JSON objects/);
    expect(() => new ResizeStreamDecoder().push(Buffer.from('{"Width":8,}'))).toThrow(/not JSON/);
  });
});
