/**
 * A minimal WebSocket (RFC 6455) for the Kubernetes control-plane test double and its
 * tests: the opening handshake (server and client), framing with masking, fragmented
 * messages, ping/pong and the closing handshake. No extensions (no compression), which
 * RFC 6455 lets either side decline.
 *
 * Why here and not a dependency: Node 20 has no WebSocket server, and its global
 * WebSocket client exists only behind --experimental-websocket; this session may add no
 * npm dependency (see test/kube-double/README.md). The framing is small and fully tested
 * (websocket.test.ts), including against Node's own experimental client.
 *
 * Section numbers below are those of RFC 6455.
 */
import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { request, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** §1.3: the GUID appended to Sec-WebSocket-Key before hashing. */
const HANDSHAKE_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const OPCODE = {
  continuation: 0x0,
  text: 0x1,
  binary: 0x2,
  close: 0x8,
  ping: 0x9,
  pong: 0xa,
} as const;

/** §7.4.1 status codes used here. */
export const CLOSE_CODE = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1002,
  noStatus: 1005,
  abnormal: 1006,
  invalidPayload: 1007,
  tooBig: 1009,
} as const;

export interface Frame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

export class WebSocketProtocolError extends Error {
  constructor(
    message: string,
    readonly closeCode: number = CLOSE_CODE.protocolError,
  ) {
    super(message);
    this.name = 'WebSocketProtocolError';
  }
}

/** §1.3, §4.2.2: Sec-WebSocket-Accept for a Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + HANDSHAKE_GUID).digest('base64');
}

/** §5.2, §5.3: one frame; a client passes a 4-byte mask (every client frame must be masked). */
export function encodeFrame(frame: Frame, mask?: Buffer): Buffer {
  const length = frame.payload.length;
  const lengthBytes = length < 126 ? 0 : length <= 0xffff ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + (mask ? 4 : 0));
  header[0] = (frame.fin ? 0x80 : 0) | (frame.opcode & 0x0f);
  const maskBit = mask ? 0x80 : 0;
  if (lengthBytes === 0) header[1] = maskBit | length;
  else if (lengthBytes === 2) {
    header[1] = maskBit | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  if (!mask) return Buffer.concat([header, frame.payload]);
  if (mask.length !== 4) throw new Error('a masking key is 4 bytes');
  mask.copy(header, 2 + lengthBytes);
  return Buffer.concat([header, applyMask(frame.payload, mask)]);
}

/** §5.3: XOR with the masking key; the same operation masks and unmasks. */
export function applyMask(data: Buffer, mask: Buffer): Buffer {
  const out = Buffer.allocUnsafe(data.length);
  for (let i = 0; i < data.length; i++) out[i] = (data[i] as number) ^ (mask[i & 3] as number);
  return out;
}

export interface DecoderOptions {
  /** 'server' reads client frames, which must be masked; 'client' reads server frames, which must not be (§5.1). */
  role: 'server' | 'client';
  /** Largest payload accepted in one frame (and one message). */
  maxPayload?: number;
}

/** §5.2: reads frames out of a byte stream that may split or join them anywhere. */
export class FrameDecoder {
  private buffered: Buffer = Buffer.alloc(0);
  private readonly maxPayload: number;

  constructor(private readonly options: DecoderOptions) {
    this.maxPayload = options.maxPayload ?? 64 * 1024 * 1024;
  }

  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      const frame = this.next();
      if (frame === undefined) return frames;
      frames.push(frame);
    }
  }

  private next(): Frame | undefined {
    const b = this.buffered;
    if (b.length < 2) return undefined;
    const first = b[0] as number;
    const second = b[1] as number;
    if ((first & 0x70) !== 0) throw new WebSocketProtocolError('reserved bits set without a negotiated extension');
    const fin = (first & 0x80) !== 0;
    const opcode = first & 0x0f;
    if (![0x0, 0x1, 0x2, 0x8, 0x9, 0xa].includes(opcode)) throw new WebSocketProtocolError(`unknown opcode ${opcode}`);
    const masked = (second & 0x80) !== 0;
    if (masked !== (this.options.role === 'server')) {
      throw new WebSocketProtocolError(this.options.role === 'server' ? 'a client frame must be masked' : 'a server frame must not be masked');
    }
    let length = second & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return undefined;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return undefined;
      const big = b.readBigUInt64BE(2);
      if (big > BigInt(this.maxPayload)) throw new WebSocketProtocolError(`a frame of ${big} bytes is too big`, CLOSE_CODE.tooBig);
      length = Number(big);
      offset = 10;
    }
    if (opcode >= 0x8) {
      // §5.5: control frames are never fragmented and carry at most 125 bytes.
      if (!fin) throw new WebSocketProtocolError('a fragmented control frame');
      if (length > 125) throw new WebSocketProtocolError('a control frame longer than 125 bytes');
    }
    if (length > this.maxPayload) throw new WebSocketProtocolError(`a frame of ${length} bytes is too big`, CLOSE_CODE.tooBig);
    const maskOffset = offset;
    if (masked) offset += 4;
    if (b.length < offset + length) return undefined;
    const body = b.subarray(offset, offset + length);
    // Copied either way, so that a frame never pins the whole receive buffer.
    const payload = masked ? applyMask(body, b.subarray(maskOffset, maskOffset + 4)) : Buffer.from(body);
    this.buffered = b.subarray(offset + length);
    return { fin, opcode, payload };
  }
}

export type Message = { kind: 'text'; data: Buffer } | { kind: 'binary'; data: Buffer };

/** §5.4: joins fragments into messages; control frames may arrive between fragments. */
export class MessageAssembler {
  private fragments: Buffer[] = [];
  private fragmentedOpcode: number | undefined;
  private size = 0;

  constructor(private readonly maxMessage = 64 * 1024 * 1024) {}

  /** A data frame in; a message out when complete. Control frames must not be passed here. */
  push(frame: Frame): Message | undefined {
    if (frame.opcode === OPCODE.continuation) {
      if (this.fragmentedOpcode === undefined) throw new WebSocketProtocolError('a continuation frame with no message to continue');
    } else {
      if (this.fragmentedOpcode !== undefined) throw new WebSocketProtocolError('a new message began before the previous one ended');
      this.fragmentedOpcode = frame.opcode;
    }
    this.size += frame.payload.length;
    if (this.size > this.maxMessage) throw new WebSocketProtocolError(`a message of more than ${this.maxMessage} bytes`, CLOSE_CODE.tooBig);
    this.fragments.push(frame.payload);
    if (!frame.fin) return undefined;
    const data = this.fragments.length === 1 ? (this.fragments[0] as Buffer) : Buffer.concat(this.fragments);
    const opcode = this.fragmentedOpcode;
    this.fragments = [];
    this.fragmentedOpcode = undefined;
    this.size = 0;
    if (opcode === OPCODE.text) {
      // §8.1: a text message must be valid UTF-8.
      if (!isUtf8(data)) throw new WebSocketProtocolError('a text message that is not UTF-8', CLOSE_CODE.invalidPayload);
      return { kind: 'text', data };
    }
    return { kind: 'binary', data };
  }
}

function isUtf8(data: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

/** §5.5.1: status code (2 bytes, big-endian) then a UTF-8 reason; empty means no status. */
export function encodeClosePayload(code?: number, reason = ''): Buffer {
  if (code === undefined) return Buffer.alloc(0);
  const text = Buffer.from(reason, 'utf8');
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  if (payload.length > 125) throw new Error('a close reason longer than 123 bytes');
  return payload;
}

export function decodeClosePayload(payload: Buffer): { code: number; reason: string } {
  if (payload.length === 0) return { code: CLOSE_CODE.noStatus, reason: '' };
  if (payload.length === 1) throw new WebSocketProtocolError('a close frame with a one-byte body');
  const code = payload.readUInt16BE(0);
  // §7.4: 1005, 1006 and 1015 must never be sent; codes below 1000 are not used.
  if (code < 1000 || code === 1004 || code === 1005 || code === 1006 || code === 1015 || (code > 1015 && code < 3000) || code > 4999) {
    throw new WebSocketProtocolError(`close code ${code} may not be sent`);
  }
  const reasonBytes = payload.subarray(2);
  if (!isUtf8(reasonBytes)) throw new WebSocketProtocolError('a close reason that is not UTF-8', CLOSE_CODE.invalidPayload);
  return { code, reason: reasonBytes.toString('utf8') };
}

export interface WebSocketEvents {
  message: [Message];
  /** The connection is over; `code` is what the peer sent, or 1006 if the transport just ended. */
  close: [{ code: number; reason: string }];
  pong: [Buffer];
  error: [Error];
}

/**
 * One open WebSocket over a socket, either side. Pings are answered; a received close is
 * echoed and the transport ended (§5.5.1); a protocol error closes with its code (§7.1.7).
 */
export class WebSocketConnection extends EventEmitter<WebSocketEvents> {
  private readonly decoder: FrameDecoder;
  private readonly assembler = new MessageAssembler();
  private closeSent = false;
  private closed = false;

  constructor(
    private readonly socket: Duplex,
    readonly role: 'server' | 'client',
    readonly protocol: string,
    head: Buffer = Buffer.alloc(0),
  ) {
    super();
    this.decoder = new FrameDecoder({ role });
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => socket.end());
    socket.on('close', () => this.finish(CLOSE_CODE.abnormal, ''));
    socket.on('error', (error: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
    // Not a microtask: a client gets the connection through a promise, and its `await`
    // continuation (where it adds its 'message' listener) runs after microtasks queued
    // earlier, so messages that came with the 101 would be emitted to nobody.
    if (head.length > 0) setImmediate(() => this.receive(head));
  }

  get isOpen(): boolean {
    return !this.closeSent && !this.closed;
  }

  sendBinary(data: Uint8Array): void {
    this.send({ fin: true, opcode: OPCODE.binary, payload: Buffer.from(data.buffer, data.byteOffset, data.byteLength) });
  }

  sendText(text: string): void {
    this.send({ fin: true, opcode: OPCODE.text, payload: Buffer.from(text, 'utf8') });
  }

  /** Sends a frame as is (the tests use it for fragments). */
  sendFrame(frame: Frame): void {
    this.send(frame);
  }

  ping(data: Buffer = Buffer.alloc(0)): void {
    this.send({ fin: true, opcode: OPCODE.ping, payload: data });
  }

  /** Starts the closing handshake; 'close' follows when the peer answers or the transport ends. */
  close(code: number = CLOSE_CODE.normal, reason = ''): void {
    if (this.closeSent || this.closed) return;
    this.send({ fin: true, opcode: OPCODE.close, payload: encodeClosePayload(code, reason) });
    this.closeSent = true;
  }

  /** Ends the transport without a closing handshake. */
  destroy(): void {
    this.socket.destroy();
  }

  private send(frame: Frame): void {
    if (this.closeSent || this.closed) throw new Error('the WebSocket is closing');
    this.socket.write(encodeFrame(frame, this.role === 'client' ? randomBytes(4) : undefined));
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    try {
      for (const frame of this.decoder.push(chunk)) this.handle(frame);
    } catch (error) {
      const code = error instanceof WebSocketProtocolError ? error.closeCode : CLOSE_CODE.protocolError;
      if (!this.closeSent) {
        this.socket.write(encodeFrame({ fin: true, opcode: OPCODE.close, payload: encodeClosePayload(code) }, this.role === 'client' ? randomBytes(4) : undefined));
        this.closeSent = true;
      }
      if (this.listenerCount('error') > 0) this.emit('error', error as Error);
      this.socket.end();
      this.finish(code, error instanceof Error ? error.message : String(error));
    }
  }

  private handle(frame: Frame): void {
    if (this.closed) return;
    switch (frame.opcode) {
      case OPCODE.ping:
        if (!this.closeSent) this.send({ fin: true, opcode: OPCODE.pong, payload: frame.payload });
        return;
      case OPCODE.pong:
        this.emit('pong', frame.payload);
        return;
      case OPCODE.close: {
        const { code, reason } = decodeClosePayload(frame.payload);
        if (!this.closeSent) {
          // Echo the status code (§5.5.1); "no status" is answered with an empty body.
          this.socket.write(
            encodeFrame(
              { fin: true, opcode: OPCODE.close, payload: code === CLOSE_CODE.noStatus ? Buffer.alloc(0) : encodeClosePayload(code) },
              this.role === 'client' ? randomBytes(4) : undefined,
            ),
          );
          this.closeSent = true;
        }
        // §7.1.1: the server ends the TCP connection first; a client waits for it, briefly.
        if (this.role === 'server') this.socket.end();
        else setTimeout(() => this.socket.destroy(), 2000).unref();
        this.finish(code, reason);
        return;
      }
      default: {
        const message = this.assembler.push(frame);
        if (message !== undefined && !this.closeSent) this.emit('message', message);
      }
    }
  }

  private finish(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close', { code, reason });
  }
}

/**
 * §4.2: answers an HTTP upgrade request (http.Server's 'upgrade' event). `chooseProtocol`
 * gets the client's Sec-WebSocket-Protocol header and returns the one to use, or
 * undefined to refuse the connection with 400.
 */
export function acceptUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  chooseProtocol: (offered: string | undefined) => string | undefined,
): WebSocketConnection | undefined {
  const key = req.headers['sec-websocket-key'];
  const upgrade = req.headers.upgrade;
  const version = req.headers['sec-websocket-version'];
  const refuse = (status: string, why: string): undefined => {
    socket.end(`HTTP/1.1 ${status}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(why)}\r\nConnection: close\r\n\r\n${why}`);
    return undefined;
  };
  if (typeof upgrade !== 'string' || upgrade.toLowerCase() !== 'websocket' || typeof key !== 'string') {
    return refuse('400 Bad Request', 'not a WebSocket upgrade');
  }
  if (version !== '13') return refuse('426 Upgrade Required', 'Sec-WebSocket-Version 13 is required');
  const offered = req.headers['sec-websocket-protocol'];
  const protocol = chooseProtocol(Array.isArray(offered) ? offered.join(', ') : offered);
  if (protocol === undefined) return refuse('400 Bad Request', `requested protocol(s) are not supported: ${offered ?? '(none)'}`);
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(key)}`];
  if (protocol !== '') lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  return new WebSocketConnection(socket, 'server', protocol, head);
}

export interface ConnectOptions {
  protocols?: readonly string[];
  headers?: Record<string, string>;
  socketPath?: string;
}

/** §4.1: opens a client connection to a ws:// URL. */
export function connectWebSocket(url: string, options: ConnectOptions = {}): Promise<WebSocketConnection> {
  const target = new URL(url);
  if (target.protocol !== 'ws:') return Promise.reject(new Error(`only ws:// URLs are supported here, got ${target.protocol}`));
  const key = randomBytes(16).toString('base64');
  const headers: Record<string, string> = {
    ...options.headers,
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Version': '13',
  };
  if (options.protocols !== undefined && options.protocols.length > 0) headers['Sec-WebSocket-Protocol'] = options.protocols.join(', ');
  return new Promise((resolve, reject) => {
    const req = request({
      host: target.hostname,
      port: target.port || 80,
      path: `${target.pathname}${target.search}`,
      headers,
      ...(options.socketPath !== undefined ? { socketPath: options.socketPath } : {}),
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => reject(new Error(`the server refused the WebSocket upgrade: ${res.statusCode} ${Buffer.concat(chunks).toString().trim()}`)));
    });
    req.on('upgrade', (res, socket, head) => {
      const fail = (why: string): void => {
        socket.destroy();
        reject(new Error(why));
      };
      if (res.headers['sec-websocket-accept'] !== acceptKey(key)) return fail('the server answered with a wrong Sec-WebSocket-Accept');
      const chosen = res.headers['sec-websocket-protocol'] ?? '';
      if (chosen !== '' && !(options.protocols ?? []).includes(chosen)) return fail(`the server chose a protocol that was not offered: ${chosen}`);
      resolve(new WebSocketConnection(socket, 'client', chosen, head));
    });
    req.end();
  });
}
