/**
 * Recorded port-forward exchanges, each written from the reference it names (paths
 * relative to kubernetes/kubernetes staging/src/k8s.io/ unless said otherwise).
 */
import { describe, expect, it } from 'vitest';
import {
  PORT_FORWARD_PROTOCOL,
  PortForwardDecoder,
  PortForwardProtocolError,
  dataChannel,
  decodeClientMessage,
  encodeClientData,
  encodePortAnnouncement,
  encodeServerMessage,
  errorChannel,
  parsePortsQuery,
  portForwardPath,
} from './port-forward-protocol.js';

const bytes = (...values: number[]): Buffer => Buffer.from(values);

describe('request', () => {
  // kubernetes-client/javascript src/portforward.ts: `/api/v1/namespaces/${namespace}/pods/${podName}/portforward?ports=…`;
  // kubelet/pkg/cri/streaming/portforward/websocket.go: v4BinaryWebsocketProtocol = "v4." + "channel.k8s.io".
  it('asks for the ports in order on the pod\'s portforward subresource over v4.channel.k8s.io', () => {
    expect(portForwardPath('default', 'web-0', [8080, 9090])).toBe('/api/v1/namespaces/default/pods/web-0/portforward?ports=8080&ports=9090');
    expect(PORT_FORWARD_PROTOCOL).toBe('v4.channel.k8s.io');
    expect(() => portForwardPath('default', 'web-0', [])).toThrow(/at least one port/);
    expect(() => portForwardPath('default', 'web-0', [0])).toThrow(/between 1 and 65535/);
    expect(() => portForwardPath('default', 'web-0', [65536])).toThrow(/between 1 and 65535/);
  });

  // portforward/websocket.go NewV4Options: every value, split on ",", ParseUint(…, 10, 16), "must be > 0".
  it('reads the ports of a query as the kubelet does (the test double\'s side)', () => {
    expect(parsePortsQuery(new URLSearchParams('ports=80&ports=443,8443'))).toEqual([80, 443, 8443]);
    expect(() => parsePortsQuery(new URLSearchParams(''))).toThrow(/"ports" is required/);
    expect(() => parsePortsQuery(new URLSearchParams('ports=http'))).toThrow(/unable to parse "http"/);
    expect(() => parsePortsQuery(new URLSearchParams('ports=0'))).toThrow(/between 1 and 65535/);
  });
});

describe('channels', () => {
  // portforward/websocket.go handleWebSocketStreams: "A pair of streams are created per port (DATA n, ERROR n+1)",
  // streams[i*2+dataChannel], streams[i*2+errorChannel].
  it('gives port i the data channel 2i and the error channel 2i+1', () => {
    expect([dataChannel(0), errorChannel(0), dataChannel(1), errorChannel(1)]).toEqual([0, 1, 2, 3]);
    expect(encodeClientData(1, Buffer.from('GET /'))).toEqual(Buffer.concat([bytes(2), Buffer.from('GET /')]));
  });

  // websocket.go: binary.LittleEndian.PutUint16(portBytes, uint16(port)); dataStream.Write; errorStream.Write.
  it('announces the port as two little-endian bytes on both channels', () => {
    expect(encodePortAnnouncement(0, 8080)).toEqual(bytes(0, 0x90, 0x1f));
    expect(encodePortAnnouncement(1, 8080)).toEqual(bytes(1, 0x90, 0x1f));
    expect(encodePortAnnouncement(2, 443)).toEqual(bytes(2, 0xbb, 0x01));
  });
});

describe('client decoder', () => {
  // A recorded session for ports [8080, 5432], as handleWebSocketStreams and portForward write it:
  // the two announcements per port first, then data; an error text on port 5432's error channel.
  it('strips each channel\'s announcement once and routes data and error text by port', () => {
    const decoder = new PortForwardDecoder([8080, 5432]);
    expect(decoder.push(bytes(0, 0x90, 0x1f))).toEqual([]);
    expect(decoder.push(bytes(1, 0x90, 0x1f))).toEqual([]);
    expect(decoder.push(bytes(2, 0x38, 0x15))).toEqual([]);
    expect(decoder.push(bytes(3, 0x38, 0x15))).toEqual([]);
    // A first data byte equal to a port byte must not be eaten: the announcement is read once only.
    expect(decoder.push(encodeServerMessage(0, bytes(0x90, 0x1f, 0x41)))).toEqual([{ kind: 'data', portIndex: 0, data: bytes(0x90, 0x1f, 0x41) }]);
    expect(decoder.push(encodeServerMessage(3, 'error forwarding port 5432 to pod db, uid abc: connection refused'))).toEqual([
      { kind: 'error', portIndex: 1, text: 'error forwarding port 5432 to pod db, uid abc: connection refused' },
    ]);
  });

  // javascript src/portforward.ts strips two bytes of the first message per channel; a decoder must also
  // survive the announcement and the first data arriving in one message, or the announcement split in two.
  it('reads an announcement joined with data or split across messages', () => {
    const decoder = new PortForwardDecoder([80]);
    expect(decoder.push(bytes(0, 0x50, 0x00, 0x68, 0x69))).toEqual([{ kind: 'data', portIndex: 0, data: Buffer.from('hi') }]);
    expect(decoder.push(bytes(1, 0x50))).toEqual([]);
    expect(decoder.push(Buffer.concat([bytes(1, 0x00), Buffer.from('boom')]))).toEqual([{ kind: 'error', portIndex: 0, text: 'boom' }]);
  });

  it('refuses an announcement of another port, and channels beyond the ports asked for', () => {
    expect(() => new PortForwardDecoder([80]).push(bytes(0, 0x51, 0x00))).toThrow(/announced port 81, expected 80/);
    expect(() => new PortForwardDecoder([80]).push(bytes(2, 0x50, 0x00))).toThrow(/only 1 port/);
    expect(() => new PortForwardDecoder([80]).push(Buffer.alloc(0))).toThrow(PortForwardProtocolError);
  });
});

describe('server side of client messages (test double)', () => {
  // wsstream ChannelType: data channels are ReadWriteChannel, error channels WriteChannel (server to client only).
  it('takes client bytes on data channels only', () => {
    expect(decodeClientMessage(bytes(2, 0x61), 2)).toEqual({ kind: 'data', portIndex: 1, data: bytes(0x61) });
    expect(() => decodeClientMessage(bytes(1, 0x61), 2)).toThrow(/error channel 1, which is read-only/);
    expect(() => decodeClientMessage(bytes(4, 0x61), 2)).toThrow(/only 2 port/);
  });
});
