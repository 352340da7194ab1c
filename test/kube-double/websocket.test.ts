/**
 * The test double's WebSocket: framing checked on the examples of RFC 6455 (section
 * numbers in each case), then a real loopback connection, then Node's own (experimental)
 * WebSocket client against our server, an implementation we did not write.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CLOSE_CODE,
  FrameDecoder,
  MessageAssembler,
  OPCODE,
  WebSocketConnection,
  acceptKey,
  acceptUpgrade,
  applyMask,
  connectWebSocket,
  decodeClosePayload,
  encodeClosePayload,
  encodeFrame,
  type Message,
} from './websocket.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');
const MASK = hex('37fa213d');

describe('RFC 6455 examples', () => {
  // §1.3: key "dGhlIHNhbXBsZSBub25jZQ==" gives "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
  it('computes the handshake accept key', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  // §5.7: a single-frame unmasked text message "Hello", and the same masked with 37 fa 21 3d.
  it('encodes and decodes the single-frame "Hello", unmasked and masked', () => {
    const hello = { fin: true, opcode: OPCODE.text, payload: Buffer.from('Hello') };
    expect(encodeFrame(hello)).toEqual(hex('81 05 48 65 6c 6c 6f'));
    expect(encodeFrame(hello, MASK)).toEqual(hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'));
    expect(new FrameDecoder({ role: 'client' }).push(hex('81 05 48 65 6c 6c 6f'))).toEqual([hello]);
    expect(new FrameDecoder({ role: 'server' }).push(hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'))).toEqual([hello]);
  });

  // §5.7: a fragmented unmasked text message, "Hel" then "lo".
  it('assembles the fragmented "Hel" + "lo"', () => {
    const frames = new FrameDecoder({ role: 'client' }).push(hex('01 03 48 65 6c 80 02 6c 6f'));
    expect(frames).toEqual([
      { fin: false, opcode: OPCODE.text, payload: Buffer.from('Hel') },
      { fin: true, opcode: OPCODE.continuation, payload: Buffer.from('lo') },
    ]);
    const assembler = new MessageAssembler();
    expect(assembler.push(frames[0] as never)).toBeUndefined();
    expect(assembler.push(frames[1] as never)).toEqual({ kind: 'text', data: Buffer.from('Hello') });
  });

  // §5.7: unmasked Ping "Hello" and masked Pong "Hello".
  it('encodes the ping and the masked pong of the examples', () => {
    expect(encodeFrame({ fin: true, opcode: OPCODE.ping, payload: Buffer.from('Hello') })).toEqual(hex('89 05 48 65 6c 6c 6f'));
    expect(encodeFrame({ fin: true, opcode: OPCODE.pong, payload: Buffer.from('Hello') }, MASK)).toEqual(hex('8a 85 37 fa 21 3d 7f 9f 4d 51 58'));
  });

  // §5.7: 256 bytes binary in a single unmasked frame: 82 7E 0100; 64 KiB: 82 7F 0000000000010000.
  it('uses the 16-bit and 64-bit length forms', () => {
    const small = encodeFrame({ fin: true, opcode: OPCODE.binary, payload: Buffer.alloc(256, 7) });
    expect(small.subarray(0, 4)).toEqual(hex('82 7e 01 00'));
    const large = encodeFrame({ fin: true, opcode: OPCODE.binary, payload: Buffer.alloc(65536, 9) });
    expect(large.subarray(0, 10)).toEqual(hex('82 7f 00 00 00 00 00 01 00 00'));
    const [decoded] = new FrameDecoder({ role: 'client' }).push(large);
    expect(decoded?.fin && decoded.opcode === OPCODE.binary && decoded.payload.equals(Buffer.alloc(65536, 9))).toBe(true);
    const maskedLarge = encodeFrame({ fin: true, opcode: OPCODE.binary, payload: Buffer.alloc(300, 1) }, MASK);
    expect(new FrameDecoder({ role: 'server' }).push(maskedLarge)[0]?.payload.equals(Buffer.alloc(300, 1))).toBe(true);
  });
});

describe('decoder', () => {
  // §5.2 frames ride on a byte stream: a decoder must survive any split.
  it('decodes frames fed one byte at a time, and several frames in one chunk', () => {
    const stream = Buffer.concat([
      encodeFrame({ fin: true, opcode: OPCODE.binary, payload: Buffer.from([1, 2, 3]) }, MASK),
      encodeFrame({ fin: true, opcode: OPCODE.binary, payload: Buffer.alloc(200, 5) }, MASK),
      encodeFrame({ fin: true, opcode: OPCODE.ping, payload: Buffer.alloc(0) }, MASK),
    ]);
    const decoder = new FrameDecoder({ role: 'server' });
    const frames = [];
    for (const byte of stream) frames.push(...decoder.push(Buffer.from([byte])));
    expect(frames.map((f) => [f.opcode, f.payload.length])).toEqual([
      [OPCODE.binary, 3],
      [OPCODE.binary, 200],
      [OPCODE.ping, 0],
    ]);
    expect(new FrameDecoder({ role: 'server' }).push(stream)).toHaveLength(3);
  });

  it('masks symmetrically', () => {
    const data = Buffer.from('any bytes at all');
    expect(applyMask(applyMask(data, MASK), MASK)).toEqual(data);
  });

  // §5.1: clients mask every frame, servers none; §5.2: RSV bits need an extension; §5.5: control frames
  // are not fragmented and carry at most 125 bytes; §5.2 opcodes 3-7 and B-F are reserved.
  it('refuses what the RFC forbids', () => {
    expect(() => new FrameDecoder({ role: 'server' }).push(hex('82 01 00'))).toThrow(/must be masked/);
    expect(() => new FrameDecoder({ role: 'client' }).push(hex('82 81 00 00 00 00 00'))).toThrow(/must not be masked/);
    expect(() => new FrameDecoder({ role: 'client' }).push(hex('c2 00'))).toThrow(/reserved bits/);
    expect(() => new FrameDecoder({ role: 'client' }).push(hex('09 00'))).toThrow(/fragmented control frame/);
    expect(() => new FrameDecoder({ role: 'client' }).push(hex('89 7e 00 7e'))).toThrow(/longer than 125/);
    expect(() => new FrameDecoder({ role: 'client' }).push(hex('83 00'))).toThrow(/unknown opcode 3/);
    expect(() => new FrameDecoder({ role: 'client', maxPayload: 10 }).push(hex('82 0b'))).toThrow(/too big/);
  });

  // §5.4: a continuation needs a started message; a new data message may not start inside one;
  // control frames may be injected between fragments (they never reach the assembler).
  it('keeps fragments in order and refuses broken sequences', () => {
    const assembler = new MessageAssembler();
    expect(() => assembler.push({ fin: true, opcode: OPCODE.continuation, payload: Buffer.alloc(1) })).toThrow(/no message to continue/);
    assembler.push({ fin: false, opcode: OPCODE.binary, payload: Buffer.from([1]) });
    expect(() => assembler.push({ fin: true, opcode: OPCODE.binary, payload: Buffer.from([2]) })).toThrow(/before the previous one ended/);
    // §8.1: text must be UTF-8.
    expect(() => new MessageAssembler().push({ fin: true, opcode: OPCODE.text, payload: hex('c3 28') })).toThrow(/not UTF-8/);
  });
});

describe('close payload', () => {
  // §5.5.1: 2-byte big-endian code, then UTF-8 reason; an empty body means "no status" (1005, §7.1.5).
  it('carries a code and a reason', () => {
    expect(encodeClosePayload(1000, 'bye')).toEqual(Buffer.concat([hex('03 e8'), Buffer.from('bye')]));
    expect(decodeClosePayload(encodeClosePayload(4001, 'é'))).toEqual({ code: 4001, reason: 'é' });
    expect(decodeClosePayload(Buffer.alloc(0))).toEqual({ code: CLOSE_CODE.noStatus, reason: '' });
  });

  // §7.4.1/§7.4.2: 1005 and 1006 must not be sent; codes under 1000 are unused; a 1-byte body is malformed.
  it('refuses codes that may not be sent', () => {
    expect(() => decodeClosePayload(hex('03 ed'))).toThrow(/1005 may not be sent/);
    expect(() => decodeClosePayload(hex('03 ee'))).toThrow(/1006 may not be sent/);
    expect(() => decodeClosePayload(hex('00 01'))).toThrow(/may not be sent/);
    expect(() => decodeClosePayload(hex('03'))).toThrow(/one-byte body/);
  });
});

describe('over a loopback connection', () => {
  let server: Server | undefined;
  const connections: WebSocketConnection[] = [];

  afterEach(async () => {
    for (const c of connections.splice(0)) c.destroy();
    if (server) {
      server.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
      server = undefined;
    }
  });

  /** An echo server: binary and text back as they came; serverSide gets each server connection. */
  async function startEchoServer(supported: string[]): Promise<{ url: string; serverSide: Promise<WebSocketConnection> }> {
    let resolveServerSide!: (c: WebSocketConnection) => void;
    const serverSide = new Promise<WebSocketConnection>((resolve) => (resolveServerSide = resolve));
    server = createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (req, socket, head) => {
      const connection = acceptUpgrade(req, socket, head, (offered) => (offered ?? '').split(',').map((p) => p.trim()).find((p) => supported.includes(p)));
      if (!connection) return;
      connections.push(connection);
      connection.on('message', (m: Message) => (m.kind === 'binary' ? connection.sendBinary(m.data) : connection.sendText(m.data.toString())));
      resolveServerSide(connection);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    return { url: `ws://127.0.0.1:${port}/api/v1/namespaces/default/pods/p/exec?command=sh`, serverSide };
  }

  function nextMessage(connection: WebSocketConnection): Promise<Message> {
    return once(connection, 'message').then(([m]) => m as Message);
  }

  it('negotiates the subprotocol, echoes binary and text, answers pings and closes both ends with the code sent', async () => {
    const { url, serverSide } = await startEchoServer(['v4.channel.k8s.io']);
    const client = await connectWebSocket(url, { protocols: ['v5.channel.k8s.io', 'v4.channel.k8s.io'] });
    connections.push(client);
    expect(client.protocol).toBe('v4.channel.k8s.io');
    const server = await serverSide;
    expect(server.protocol).toBe('v4.channel.k8s.io');

    const binaryEcho = nextMessage(client);
    client.sendBinary(Buffer.from([0, 1, 2, 255]));
    expect(await binaryEcho).toEqual({ kind: 'binary', data: Buffer.from([0, 1, 2, 255]) });
    const big = Buffer.alloc(200_000, 0xab);
    const bigEcho = nextMessage(client);
    client.sendBinary(big);
    expect((await bigEcho).data.equals(big)).toBe(true);
    const textEcho = nextMessage(client);
    client.sendText('héllo');
    expect(await textEcho).toEqual({ kind: 'text', data: Buffer.from('héllo') });

    const pong = once(client, 'pong');
    client.ping(Buffer.from('are you there'));
    expect((await pong)[0]).toEqual(Buffer.from('are you there'));

    // A fragmented message with a ping between its fragments (§5.4, §5.5).
    const joined = nextMessage(client);
    const pongBetween = once(client, 'pong');
    client.sendFrame({ fin: false, opcode: OPCODE.binary, payload: Buffer.from([1]) });
    client.ping(Buffer.from('mid'));
    client.sendFrame({ fin: true, opcode: OPCODE.continuation, payload: Buffer.from([2, 3]) });
    expect(await joined).toEqual({ kind: 'binary', data: Buffer.from([1, 2, 3]) });
    expect((await pongBetween)[0]).toEqual(Buffer.from('mid'));

    const serverClosed = once(server, 'close');
    const clientClosed = once(client, 'close');
    client.close(CLOSE_CODE.normal, 'done');
    expect((await serverClosed)[0]).toEqual({ code: 1000, reason: 'done' });
    expect((await clientClosed)[0]).toEqual({ code: 1000, reason: '' });
    expect(client.isOpen).toBe(false);
  });

  it('delivers a message that came in the same packet as the 101 to a client that listens once connected', async () => {
    server = createServer((_req, res) => res.writeHead(404).end());
    server.on('upgrade', (req, socket) => {
      const accept = acceptKey(String(req.headers['sec-websocket-key']));
      const upgrade = `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`;
      // What the Kubernetes servers do: the first data message follows the 101 at once.
      socket.write(Buffer.concat([Buffer.from(upgrade), encodeFrame({ fin: true, opcode: OPCODE.binary, payload: Buffer.from([1]) })]));
      socket.on('data', () => undefined);
      setTimeout(() => socket.end(encodeFrame({ fin: true, opcode: OPCODE.close, payload: encodeClosePayload(1000) })), 200);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const client = await connectWebSocket(`ws://127.0.0.1:${port}/`);
    connections.push(client);
    const received: Message[] = [];
    client.on('message', (m) => received.push(m));
    await once(client, 'close');
    expect(received).toEqual([{ kind: 'binary', data: Buffer.from([1]) }]);
  });

  it('refuses an upgrade offering no protocol the server speaks', async () => {
    const { url } = await startEchoServer(['v4.channel.k8s.io']);
    await expect(connectWebSocket(url, { protocols: ['channel.k8s.io'] })).rejects.toThrow(/400 requested protocol\(s\) are not supported: channel.k8s.io/);
  });

  // §7.1.7: on a protocol error the endpoint fails the connection, sending close 1002.
  it('fails the connection with 1002 when a client sends an unmasked frame', async () => {
    const { url, serverSide } = await startEchoServer(['v4.channel.k8s.io']);
    const { port } = new URL(url);
    const raw = connect(Number(port), '127.0.0.1');
    await once(raw, 'connect');
    raw.write(
      `GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: v4.channel.k8s.io\r\n\r\n`,
    );
    const received: Buffer[] = [];
    raw.on('data', (c: Buffer) => received.push(c));
    const server = await serverSide;
    const errors: Error[] = [];
    server.on('error', (e) => errors.push(e));
    // Not events.once: it would reject on the 'error' event this case provokes.
    const serverClosed = new Promise<[{ code: number }]>((resolve) => server.once('close', (c) => resolve([c])));
    raw.write(hex('82 01 00'));
    expect((await serverClosed)[0]).toMatchObject({ code: 1002 });
    expect(errors.map((e) => e.message)).toEqual(['a client frame must be masked']);
    await once(raw, 'end');
    raw.destroy();
    const all = Buffer.concat(received).toString('latin1');
    expect(all).toContain('HTTP/1.1 101 Switching Protocols');
    expect(all).toContain('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    // The last frame the server wrote: close (0x88), 2-byte body, code 1002 (0x03ea).
    expect(Buffer.concat(received).subarray(-4)).toEqual(hex('88 02 03 ea'));
  });

  // Interoperability: Node 20's WebSocket client (undici, behind --experimental-websocket) talks to our server.
  it('serves Node\'s own WebSocket client', async () => {
    const { url } = await startEchoServer(['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    const script = `
      const ws = new WebSocket(process.argv[1], ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
      ws.binaryType = 'arraybuffer';
      ws.onopen = () => ws.send(new Uint8Array([0, 104, 105]));
      ws.onmessage = (e) => { console.log(ws.protocol + ' ' + Buffer.from(e.data).toString('hex')); ws.close(1000, 'bye'); };
      ws.onclose = (e) => console.log('closed ' + e.code + ' ' + e.wasClean);
      ws.onerror = (e) => { console.log('error ' + (e.message || e.type)); process.exitCode = 1; };
    `;
    const child = spawn(process.execPath, ['--experimental-websocket', '--no-warnings', '-e', script, url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const [code] = await once(child, 'exit');
    expect(out.trim().split('\n')).toEqual(['v5.channel.k8s.io 006869', 'closed 1000 true']);
    expect(code).toBe(0);
  });
});
