/**
 * Recorded exec/attach exchanges, written from the kubelet's side of the protocol
 * (cri/streaming/remotecommand/websocket.go and exec.go: stdout on channel 1, stderr on 2,
 * the metav1.Status on 3 just before the close; v5 adds CLOSE on 255) and played to the
 * client through a socket double.
 */
import { EventEmitter } from 'node:events';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { channelProcess, type MessageSocket } from './channel-process.js';
import { STREAM_PROTOCOL_V4, STREAM_PROTOCOL_V5, type StreamProtocol } from './channel-protocol.js';

class RecordedSocket extends EventEmitter implements MessageSocket {
  readonly sent: Buffer[] = [];
  paused = 0;
  resumed = 0;
  terminated = false;
  send(data: Buffer, callback: (error?: Error) => void): void {
    this.sent.push(Buffer.from(data));
    queueMicrotask(() => callback());
  }
  close(): void {
    this.emit('close');
  }
  terminate(): void {
    this.terminated = true;
    this.emit('close');
  }
  pause(): void {
    this.paused++;
  }
  resume(): void {
    this.resumed++;
  }
  serve(channel: number, payload: string | Buffer): void {
    this.emit('message', Buffer.concat([Buffer.from([channel]), Buffer.from(payload)]), true);
  }
}

const SUCCESS = '{"metadata":{},"status":"Success"}';
const exitWith = (code: number) =>
  JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  });
const start = (socket: RecordedSocket, protocol: StreamProtocol = STREAM_PROTOCOL_V5, extra: { tty?: boolean; openStdin?: boolean } = {}) =>
  channelProcess(socket, { protocol, tty: extra.tty ?? false, openStdin: extra.openStdin ?? false });

describe('a process over the exec/attach channels', () => {
  it('passes stdout and stderr apart and ends with the status (exit 0)', async () => {
    const socket = new RecordedSocket();
    const process = start(socket);
    const out = text(process.stdout);
    const err = text(process.stderr);
    socket.serve(1, ''); // v5's ready message
    socket.serve(1, 'hello\n');
    socket.serve(2, 'warning\n');
    socket.serve(1, 'world\n');
    socket.serve(3, SUCCESS);
    socket.close();
    await expect(process.exit).resolves.toEqual({ code: 0 });
    expect(await out).toBe('hello\nworld\n');
    expect(await err).toBe('warning\n');
  });

  it('reads a non-zero exit code from the NonZeroExitCode status', async () => {
    const socket = new RecordedSocket();
    const process = start(socket, STREAM_PROTOCOL_V4);
    process.stdout.resume();
    socket.serve(3, exitWith(3));
    socket.close();
    await expect(process.exit).resolves.toEqual({ code: 3 });
  });

  it('fails when the connection ends without a status, or with a failure', async () => {
    const silent = new RecordedSocket();
    const first = start(silent);
    first.stdout.resume();
    silent.close();
    await expect(first.exit).rejects.toThrow(/without its exit status/);

    const failed = new RecordedSocket();
    const second = start(failed);
    second.stdout.resume();
    failed.serve(3, JSON.stringify({ metadata: {}, status: 'Failure', message: 'container not found ("app")', reason: 'InternalError', code: 500 }));
    failed.close();
    await expect(second.exit).rejects.toThrow(/container not found/);
  });

  it('merges stderr into stdout with a TTY', async () => {
    const socket = new RecordedSocket();
    const process = start(socket, STREAM_PROTOCOL_V5, { tty: true });
    const out = text(process.stdout);
    socket.serve(1, 'a');
    socket.serve(2, 'b');
    socket.serve(3, SUCCESS);
    socket.close();
    await process.exit;
    expect(await out).toBe('ab');
  });

  it('sends stdin on channel 0 and ends it with a CLOSE on v5 only', async () => {
    for (const [protocol, closes] of [
      [STREAM_PROTOCOL_V5, true],
      [STREAM_PROTOCOL_V4, false],
    ] as const) {
      const socket = new RecordedSocket();
      const process = start(socket, protocol, { openStdin: true });
      process.stdin!.end('abc');
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(socket.sent[0]).toEqual(Buffer.from([0, 0x61, 0x62, 0x63]));
      expect(socket.sent.slice(1)).toEqual(closes ? [Buffer.from([255, 0])] : []);
    }
  });

  it('keeps stdin open on v5 when asked (a session attached to again: its input is the next client\'s too)', async () => {
    const socket = new RecordedSocket();
    const process = channelProcess(socket, { protocol: STREAM_PROTOCOL_V5, tty: false, openStdin: true, keepStdinOpen: true });
    process.stdin!.end('abc');
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(socket.sent).toEqual([Buffer.from([0, 0x61, 0x62, 0x63])]);
  });

  it('sends a resize as the JSON size on channel 4', async () => {
    const socket = new RecordedSocket();
    const process = start(socket, STREAM_PROTOCOL_V5, { tty: true });
    await process.resize(132, 43);
    expect(socket.sent).toEqual([Buffer.from([4, ...Buffer.from('{"Width":132,"Height":43}')])]);
  });

  it('stops reading the socket while the reader is behind, and reads on once it caught up', async () => {
    const socket = new RecordedSocket();
    const process = start(socket);
    socket.serve(1, Buffer.alloc(2 << 20));
    expect(socket.paused).toBe(1);
    expect(socket.resumed).toBe(0);
    process.stdout.resume();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(socket.resumed).toBe(1);
    socket.serve(3, SUCCESS);
    socket.close();
    await expect(process.exit).resolves.toEqual({ code: 0 });
  });

  it('refuses a message on a channel the protocol does not have, and ends the connection', async () => {
    const socket = new RecordedSocket();
    const process = start(socket, STREAM_PROTOCOL_V4);
    process.stdout.resume();
    socket.serve(255, Buffer.from([0]));
    expect(socket.terminated).toBe(true);
    await expect(process.exit).rejects.toThrow(/does not exist in v4/);
  });
});
