/**
 * The relay (native/sidekick-relay.c, built into dist/ by `npm run build`) run on this host,
 * against TCP servers on this host's loopback: the same program and protocol port-forward
 * uses inside a target's network namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openRelayTunnel } from './relay-tunnel.js';

const RELAY = fileURLToPath(new URL('../../../dist/sidekick-relay', import.meta.url));

describe('the relay and its tunnels', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  let directory = '';
  let relay: ChildProcess;

  beforeAll(() => {
    expect(existsSync(RELAY), `${RELAY} (npm run build makes it)`).toBe(true);
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startRelay(): Promise<string> {
    directory = mkdtempSync(join(tmpdir(), 'sidekick-relay-test-'));
    relay = spawn(RELAY, [directory], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => relay.once('exit', () => resolve()));
    cleanups.push(async () => {
      relay.stdin!.end();
      await exited;
      rmSync(directory, { recursive: true, force: true });
    });
    await new Promise<void>((resolve, reject) => {
      relay.stdout!.once('data', (chunk: Buffer) => (chunk.toString() === 'ready\n' ? resolve() : reject(new Error(chunk.toString()))));
    });
    return join(directory, 'relay.sock');
  }

  async function server(onConnection: (socket: Socket) => void): Promise<number> {
    const listening: Server = createServer({ allowHalfOpen: true }, onConnection);
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => listening.close(() => resolve())));
    return (listening.address() as AddressInfo).port;
  }

  it('carries bytes both ways with half-close, and ends in order', async () => {
    const port = await server((socket) => {
      const got: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => got.push(chunk));
      socket.on('end', () => socket.end(Buffer.concat(got).reverse()));
    });
    const tunnel = await openRelayTunnel(await startRelay(), port);
    const received: Buffer[] = [];
    tunnel.stdout.on('data', (chunk: Buffer) => received.push(chunk));
    const payload = Buffer.alloc(3 * 1024 * 1024, 7);
    payload[0] = 1;
    tunnel.stdin.end(payload);
    expect(await tunnel.ended).toEqual({ kind: 'exited', status: 0, message: '' });
    expect(Buffer.concat(received).equals(Buffer.from(payload).reverse())).toBe(true);
  });

  it('says refused when nothing listens', async () => {
    const port = await server(() => undefined);
    const socketPath = await startRelay();
    const tunnel = await openRelayTunnel(socketPath, port + 1 === 65536 ? 1 : port + 1);
    tunnel.stdout.resume();
    const end = await tunnel.ended;
    expect(end).toMatchObject({ kind: 'exited', status: 1, message: expect.stringMatching(/refused/i) });
  });

  it("resets the remote when the client aborts, and the remote's reset reaches the client", async () => {
    const serverSides: Array<Promise<string>> = [];
    const port = await server((socket) => {
      serverSides.push(new Promise((resolve) => {
        socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
        socket.on('end', () => resolve('end'));
      }));
      socket.write('hello');
    });
    const socketPath = await startRelay();
    const aborted = await openRelayTunnel(socketPath, port);
    await new Promise((resolve) => aborted.stdout.once('data', resolve));
    aborted.abort();
    expect(await serverSides[0]).toBe('ECONNRESET');

    const resetting = await server((socket) => socket.resetAndDestroy());
    const reset = await openRelayTunnel(socketPath, resetting);
    reset.stdout.resume();
    expect(await reset.ended).toMatchObject({ kind: 'exited', status: 1 });
  });

  it('ends every tunnel as lost, and resets the remotes, when its stdin ends (the client is gone)', async () => {
    const socketPath = await startRelay();
    let serverSide!: Promise<string>;
    const port = await server((socket) => {
      serverSide = new Promise((resolve) => {
        socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
        socket.on('end', () => resolve('end'));
      });
      socket.write('hello');
    });
    const tunnel = await openRelayTunnel(socketPath, port);
    await new Promise((resolve) => tunnel.stdout.once('data', resolve));
    tunnel.stdout.resume();
    relay.stdin!.end();
    expect((await tunnel.ended).kind).toBe('lost');
    expect(await serverSide).toBe('ECONNRESET');
  });
});
