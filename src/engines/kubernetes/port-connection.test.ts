import { EventEmitter } from 'node:events';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { portConnectionOver, type PortSocket } from './port-connection.js';
import { encodePortAnnouncement, encodeServerMessage } from './port-forward-protocol.js';

/** A WebSocket that records what the connection sends and lets the test play the server. */
class FakeSocket extends EventEmitter implements PortSocket {
  sent: Buffer[] = [];
  closed = false;
  terminated = false;
  paused = false;
  send(data: Buffer, callback: (error?: Error) => void): void {
    this.sent.push(data);
    callback();
  }
  close(): void {
    this.closed = true;
    this.emit('close', 1000);
  }
  terminate(): void {
    this.terminated = true;
    this.emit('close', 1006);
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  server(message: Buffer): void {
    this.emit('message', message, true);
  }
  announce(port: number): void {
    this.server(encodePortAnnouncement(0, port));
    this.server(encodePortAnnouncement(1, port));
  }
}

describe('portConnectionOver (one TCP connection on a port-forward WebSocket)', () => {
  it('passes the data channel on without the port announcement, sends the client\'s bytes on channel 0, and ends in order on a normal close', async () => {
    const socket = new FakeSocket();
    const connection = portConnectionOver(socket, 8080);
    const received = text(connection.output);
    socket.announce(8080);
    socket.server(encodeServerMessage(0, 'hello '));
    socket.server(encodeServerMessage(0, 'world'));
    connection.input.write('ping');
    socket.emit('close', 1000);
    expect(await connection.ended).toEqual({ kind: 'closed' });
    expect(await received).toBe('hello world');
    expect(socket.sent).toEqual([Buffer.from([0, ...Buffer.from('ping')])]);
  });

  it('says a refusal in the server\'s words when nothing came on the data channel', async () => {
    const socket = new FakeSocket();
    const connection = portConnectionOver(socket, 9);
    connection.output.resume();
    socket.announce(9);
    socket.server(encodeServerMessage(1, 'error forwarding port 9 to pod web, uid 1: dial tcp4 127.0.0.1:9: connect: '));
    socket.server(encodeServerMessage(1, 'connection refused'));
    socket.emit('close', 1000);
    expect(await connection.ended).toEqual({ kind: 'refused', message: 'error forwarding port 9 to pod web, uid 1: dial tcp4 127.0.0.1:9: connect: connection refused' });
  });

  it('calls an error after data a failure, never a refusal', async () => {
    const socket = new FakeSocket();
    const connection = portConnectionOver(socket, 9);
    connection.output.resume();
    socket.announce(9);
    socket.server(encodeServerMessage(0, 'partial'));
    socket.server(encodeServerMessage(1, 'read: connection refused'));
    socket.emit('close', 1000);
    expect(await connection.ended).toEqual({ kind: 'failed', message: 'read: connection refused' });
  });

  it('calls a socket cut without a close frame a failure: the answer may be short', async () => {
    const socket = new FakeSocket();
    const connection = portConnectionOver(socket, 80);
    connection.output.resume();
    socket.announce(80);
    socket.server(encodeServerMessage(0, 'half an answ'));
    socket.emit('close', 1006);
    expect(await connection.ended).toMatchObject({ kind: 'failed', message: expect.stringMatching(/cut \(WebSocket close 1006\)/) });
  });

  it('fails a connection whose server announces another port, and drops the socket', async () => {
    const socket = new FakeSocket();
    const connection = portConnectionOver(socket, 80);
    connection.output.resume();
    socket.server(encodePortAnnouncement(0, 81));
    expect(socket.terminated).toBe(true);
    expect(await connection.ended).toMatchObject({ kind: 'failed', message: expect.stringMatching(/announced port 81, expected 80/) });
  });

  it('after the client\'s half-close, passes on what the pod still sends and closes once the pod is quiet', async () => {
    const socket = new FakeSocket();
    const connection = portConnectionOver(socket, 7000, { halfCloseQuietMs: 80 });
    const received = text(connection.output);
    socket.announce(7000);
    connection.input.end('question');
    await new Promise((resolve) => setTimeout(resolve, 50));
    socket.server(encodeServerMessage(0, 'answer'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Data restarted the quiet time: still open.
    expect(socket.closed).toBe(false);
    expect(await connection.ended).toEqual({ kind: 'closed' });
    expect(socket.closed).toBe(true);
    expect(await received).toBe('answer');
  });

  it('stops reading the socket while the reader is behind, and reads again when it drains', async () => {
    const socket = new FakeSocket();
    const connection = portConnectionOver(socket, 7001);
    socket.announce(7001);
    socket.server(encodeServerMessage(0, Buffer.alloc(2 << 20)));
    expect(socket.paused).toBe(true);
    connection.output.resume();
    await new Promise((resolve) => setImmediate(resolve));
    expect(socket.paused).toBe(false);
    connection.abort();
    expect(socket.terminated).toBe(true);
    expect((await connection.ended).kind).toBe('failed');
  });
});
