import { connect, type Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { FrameDecoder, FrameType, MAX_PAYLOAD, encodeFrame, frameHeader, openFrame } from './relay-frames.js';
import type { Tunnel, TunnelEnd } from './tunnel.js';

/**
 * One TCP connection in the target through the forwarder's relay: a connection to the
 * relay's Unix socket, framed (./relay-frames.ts). It ends as the tunnel of ./tunnel.ts
 * does, so the bridge treats both alike: `exited` 0 when the remote closed in order, 1 with
 * what happened when it was refused or failed, `lost` when the relay went away without
 * saying how (killed with the target, the forwarder removed).
 */
export function openRelayTunnel(socketPath: string, port: number): Promise<Tunnel> {
  return new Promise((resolve, reject) => {
    const socket = connect({ path: socketPath });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.setNoDelay?.(true);
      socket.write(openFrame(port));
      resolve(relayTunnel(socket));
    });
  });
}

function relayTunnel(socket: Socket): Tunnel {
  const stdout = new PassThrough({ highWaterMark: 1 << 20 });
  const decoder = new FrameDecoder();
  let end: TunnelEnd | undefined;
  let settle!: (end: TunnelEnd) => void;
  const ended = new Promise<TunnelEnd>((resolve) => {
    settle = resolve;
  });
  const finish = (outcome: TunnelEnd): void => {
    if (end !== undefined) return;
    end = outcome;
    if (!stdout.writableEnded) stdout.end();
    settle(outcome);
  };

  socket.on('data', (chunk: Buffer) => {
    let frames;
    try {
      frames = decoder.push(chunk);
    } catch (error) {
      finish({ kind: 'lost', message: (error as Error).message });
      socket.destroy();
      return;
    }
    for (const frame of frames) {
      switch (frame.type) {
        case FrameType.DATA:
          if (end === undefined && !stdout.write(frame.payload)) {
            socket.pause();
            stdout.once('drain', () => socket.resume());
          }
          break;
        case FrameType.FIN:
          finish({ kind: 'exited', status: 0, message: '' });
          break;
        case FrameType.REFUSED:
          finish({ kind: 'exited', status: 1, message: `Connection refused (${frame.payload.toString('utf8')})` });
          break;
        case FrameType.RST:
          finish({ kind: 'exited', status: 1, message: frame.payload.toString('utf8') || 'the connection in the container failed' });
          break;
        default:
          break; // CONNECTED: nothing to do, data may already flow
      }
    }
  });
  socket.on('error', () => undefined);
  socket.once('close', () => finish({ kind: 'lost', message: '' }));

  const stdin = new Writable({
    highWaterMark: 1 << 20,
    write(chunk: Buffer, _encoding, callback) {
      if (socket.destroyed) return callback();
      // Header and payload go out in one writev, the payload uncopied.
      let ok = true;
      socket.cork();
      for (let at = 0; at < chunk.length; at += MAX_PAYLOAD) {
        const piece = chunk.subarray(at, at + MAX_PAYLOAD);
        socket.write(frameHeader(FrameType.DATA, piece.length));
        ok = socket.write(piece);
      }
      socket.uncork();
      if (ok) callback();
      else socket.once('drain', () => callback());
    },
    final(callback) {
      if (!socket.destroyed) socket.write(encodeFrame(FrameType.FIN));
      callback();
    },
  });
  stdin.on('error', () => undefined);

  return {
    stdin,
    stdout,
    ended,
    abort() {
      if (socket.destroyed) return;
      // The relay resets the remote on RST, and on a Unix connection closed without a word.
      socket.end(encodeFrame(FrameType.RST));
      stdout.resume();
      setTimeout(() => socket.destroy(), 1_000).unref();
    },
    lose() {
      socket.destroy();
    },
  };
}
