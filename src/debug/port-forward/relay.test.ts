/**
 * The relay and the port holder (native/sidekick-relay.c, built into dist/ by `npm run
 * build`) run on this host, against TCP servers on this host's loopback: the same program
 * port-forward runs inside a target's network namespace, handed the listening sockets the
 * same way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { holdPorts, parseHolderLine, type PortHolder } from './port-holder.js';
import { parseRelayEvent } from './relay-forwarder.js';

const RELAY = fileURLToPath(new URL('../../../dist/sidekick-relay', import.meta.url));
const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

describe('what the holder and the relay say', () => {
  it('reads the holder lines, and nothing else as one', () => {
    expect(parseHolderLine('listening 40123')).toEqual({ kind: 'listening', port: 40123 });
    expect(parseHolderLine('error EADDRINUSE Address in use')).toEqual({ kind: 'error', code: 'EADDRINUSE', message: 'Address in use' });
    expect(parseHolderLine('handed')).toEqual({ kind: 'handed' });
    expect(parseHolderLine('not-handed connect: No such file or directory')).toEqual({ kind: 'not-handed', why: 'connect: No such file or directory' });
    expect(parseHolderLine('listening 0').kind).toBe('unknown');
    expect(parseHolderLine('listening 70000').kind).toBe('unknown');
    expect(parseHolderLine('handed twice').kind).toBe('unknown');
  });

  it('reads the relay events, and nothing else as one', () => {
    expect(parseRelayEvent('refused 7777 Connection refused')).toEqual({ kind: 'refused', port: 7777, protocol: 'tcp', reason: 'Connection refused' });
    expect(parseRelayEvent('failed 80 Connection reset by peer')).toEqual({ kind: 'failed', port: 80, protocol: 'tcp', reason: 'Connection reset by peer' });
    expect(parseRelayEvent('refused 53/udp Connection refused')).toEqual({ kind: 'refused', port: 53, protocol: 'udp', reason: 'Connection refused' });
    expect(parseRelayEvent('ready')).toBeUndefined();
    expect(parseRelayEvent('refused x y')).toBeUndefined();
  });
});

describe('the relay, handed listening sockets by the holder', () => {
  const cleanups: Array<() => void | Promise<void>> = [];

  beforeAll(() => {
    expect(existsSync(RELAY), `${RELAY} (npm run build makes it)`).toBe(true);
  });

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  interface Relay {
    child: ChildProcess;
    directory: string;
    socketPath: string;
    /** Every line it wrote after "ready". */
    said: string[];
    exited: Promise<void>;
  }

  async function startRelay(): Promise<Relay> {
    const directory = mkdtempSync(join(tmpdir(), 'sidekick-relay-test-'));
    const child = spawn(RELAY, [directory], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin!.on('error', () => undefined); // a relay killed on purpose
    cleanups.push(async () => {
      child.stdin!.end();
      await exited;
      rmSync(directory, { recursive: true, force: true });
    });
    const said: string[] = [];
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.startsWith('ready\n')) {
          said.splice(0, said.length, ...out.slice(6).split('\n').filter(Boolean));
          resolve();
        } else if (!'ready\n'.startsWith(out)) reject(new Error(out));
      });
    });
    return { child, directory, socketPath: join(directory, 'relay.sock'), said, exited };
  }

  async function hold(remotePort: number): Promise<PortHolder> {
    const holder = await holdPorts(RELAY, [{ localHost: '127.0.0.1', localPort: 0, remotePort, protocol: 'tcp' }]);
    cleanups.push(() => holder.close());
    return holder;
  }

  /** A forward from a local port to `remotePort` on this host's loopback, through a relay. */
  async function forward(remotePort: number): Promise<{ port: number; relay: Relay; holder: PortHolder }> {
    const holder = await hold(remotePort);
    const relay = await startRelay();
    expect(await holder.handTo(relay.socketPath)).toBeUndefined();
    return { port: holder.ports[0]!, relay, holder };
  }

  async function server(onConnection: (socket: Socket) => void): Promise<number> {
    const open = new Set<Socket>();
    const listening: Server = createServer({ allowHalfOpen: true }, (socket) => {
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
      onConnection(socket);
    });
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          listening.close(() => resolve());
          for (const socket of open) socket.destroy();
        }),
    );
    return (listening.address() as AddressInfo).port;
  }

  /** How a client connection ended: "end" (FIN) with what it read, or its error code. */
  function client(port: number, act: (socket: Socket) => void): Promise<{ end: string; data: Buffer }> {
    return new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('end', () => resolve({ end: 'end', data: Buffer.concat(chunks) }));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve({ end: error.code ?? error.message, data: Buffer.concat(chunks) }));
      socket.on('close', () => resolve({ end: 'closed here', data: Buffer.concat(chunks) }));
      socket.on('connect', () => act(socket));
    });
  }

  /** A UDP socket on this host's loopback, closed after the test. */
  async function udpSocket(onMessage?: (message: Buffer, from: AddressInfo, socket: UdpSocket) => void): Promise<{ socket: UdpSocket; port: number }> {
    const socket = createSocket('udp4');
    if (onMessage) socket.on('message', (message, from) => onMessage(message, from, socket));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
    return { socket, port: socket.address().port };
  }

  /** The next datagram a socket gets, or undefined after `ms`. */
  function nextDatagram(socket: UdpSocket, ms = 5_000): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        socket.off('message', take);
        resolve(undefined);
      }, ms);
      const take = (message: Buffer): void => {
        clearTimeout(timer);
        resolve(message);
      };
      socket.once('message', take);
    });
  }

  it('carries UDP datagrams, each local peer getting the answers to its own', async () => {
    // The server answers each datagram with its reverse, to whoever sent it.
    const remote = await udpSocket((message, from, socket) => socket.send(Buffer.from(message).reverse(), from.port, from.address));
    const holder = await holdPorts(RELAY, [{ localHost: '127.0.0.1', localPort: 0, remotePort: remote.port, protocol: 'udp' }]);
    cleanups.push(() => holder.close());
    const relay = await startRelay();
    expect(await holder.handTo(relay.socketPath)).toBeUndefined();
    const [first, second] = await Promise.all([udpSocket(), udpSocket()]);
    const big = randomBytes(60_000);
    const answers = [nextDatagram(first.socket), nextDatagram(second.socket)];
    first.socket.send(big, holder.ports[0]!, '127.0.0.1');
    second.socket.send(Buffer.from('second'), holder.ports[0]!, '127.0.0.1');
    const [toFirst, toSecond] = await Promise.all(answers);
    expect(sha256(toFirst!)).toBe(sha256(Buffer.from(big).reverse()));
    expect(toSecond?.toString()).toBe('dnoces');
    // A second datagram of the same peer goes through the same flow.
    const again = nextDatagram(first.socket);
    first.socket.send(Buffer.from('again'), holder.ports[0]!, '127.0.0.1');
    expect((await again)?.toString()).toBe('niaga');
  });

  it('says once that nothing answers on a UDP port', async () => {
    // A port that was bound and let go: nothing listens there now.
    const gone = createSocket('udp4');
    await new Promise<void>((resolve) => gone.bind(0, '127.0.0.1', resolve));
    const remotePort = gone.address().port;
    await new Promise<void>((resolve) => gone.close(() => resolve()));
    const holder = await holdPorts(RELAY, [{ localHost: '127.0.0.1', localPort: 0, remotePort, protocol: 'udp' }]);
    cleanups.push(() => holder.close());
    const relay = await startRelay();
    const lines: string[] = [];
    relay.child.stdout!.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    expect(await holder.handTo(relay.socketPath)).toBeUndefined();
    const peer = await udpSocket();
    for (let i = 0; i < 4; i += 1) {
      peer.socket.send(Buffer.from('anyone?'), holder.ports[0]!, '127.0.0.1');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await expect.poll(() => lines, { timeout: 5_000 }).toContain(`refused ${remotePort}/udp Connection refused`);
    expect(lines.filter((line) => line.startsWith('refused'))).toHaveLength(1);
  });

  it('carries 16 MiB both ways with half-close, and ends in order', async () => {
    const remote = await server((socket) => {
      const got: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => got.push(chunk));
      socket.on('end', () => socket.end(Buffer.concat(got).reverse()));
    });
    const { port } = await forward(remote);
    const payload = randomBytes(16 << 20);
    const result = await client(port, (socket) => socket.end(payload));
    expect(result.end).toBe('end');
    expect(sha256(result.data)).toBe(sha256(Buffer.from(payload).reverse()));
  });

  it('passes a remote half-close on while the client still sends', async () => {
    let heard = Buffer.alloc(0);
    const heardAll = new Promise<void>((resolve) => {
      void server((socket) => {
        socket.end('bye\n'); // the server's FIN first
        socket.on('data', (chunk: Buffer) => (heard = Buffer.concat([heard, chunk])));
        socket.on('end', () => resolve());
      }).then(async (remote) => {
        const { port } = await forward(remote);
        const result = await client(port, (socket) => {
          socket.once('end', () => socket.end('after the remote FIN\n'));
        });
        expect(result).toEqual({ end: 'end', data: Buffer.from('bye\n') });
      });
    });
    await heardAll;
    expect(heard.toString()).toBe('after the remote FIN\n');
  });

  it('resets a connection to a port nobody listens on, and says so', async () => {
    const closed = await freePort();
    const { port, relay } = await forward(closed);
    const result = await client(port, (socket) => socket.end('hello'));
    expect(result.end).toBe('ECONNRESET');
    await waitFor(() => relay.said.some((line) => line.startsWith(`refused ${closed} `)));
  });

  it('resets the remote when the client resets, and the client when the remote does', async () => {
    const remoteEnds: string[] = [];
    const remote = await server((socket) => {
      socket.on('error', (error: NodeJS.ErrnoException) => remoteEnds.push(error.code ?? 'error'));
      socket.on('end', () => remoteEnds.push('end'));
      socket.on('data', (chunk: Buffer) => {
        if (chunk.includes('reset me')) socket.resetAndDestroy();
      });
      socket.write('x');
    });
    const { port, relay } = await forward(remote);
    const aborted = await client(port, (socket) => socket.once('data', () => socket.resetAndDestroy()));
    expect(aborted.end).toBe('closed here');
    await waitFor(() => remoteEnds.includes('ECONNRESET'));
    expect(remoteEnds).not.toContain('end');
    const cut = await client(port, (socket) => socket.once('data', () => socket.write('reset me')));
    expect(cut.end).toBe('ECONNRESET');
    await waitFor(() => relay.said.some((line) => line.startsWith(`failed ${remote} `)));
  });

  it('resets what it carries when it is killed, rather than end it in order', async () => {
    // An answer that starts and never finishes; the client is idle when the relay dies (a
    // client still reading may be told "end" by libuv when a reset follows a short read).
    const remote = await server((socket) => socket.write('partial\n'));
    const { port, relay } = await forward(remote);
    const result = await client(port, (socket) => {
      socket.once('data', () => setTimeout(() => relay.child.kill('SIGKILL'), 100));
    });
    expect(result).toEqual({ end: 'ECONNRESET', data: Buffer.from('partial\n') });
  });

  it('keeps the listening sockets across relays: a connection made between two waits for the next', async () => {
    const remote = await server((socket) => socket.end('served\n'));
    const { port, relay, holder } = await forward(remote);
    expect((await client(port, (socket) => socket.end())).data.toString()).toBe('served\n');
    relay.child.stdin!.end();
    await relay.exited;
    expect(existsSync(relay.directory)).toBe(false); // it removes its own directory
    const waiting = client(port, (socket) => socket.end());
    await new Promise<void>((resolve) => setTimeout(resolve, 300));
    const next = await startRelay();
    expect(await holder.handTo(next.socketPath)).toBeUndefined();
    expect(await waiting).toEqual({ end: 'end', data: Buffer.from('served\n') });
  });

  it('says why a handover failed, and the holder fails a port in use as Node would', async () => {
    const remote = await server(() => undefined);
    const holder = await hold(remote);
    expect(await holder.handTo(join(tmpdir(), 'sidekick-no-such-relay.sock'))).toMatch(/^connect: /);
    await expect(holdPorts(RELAY, [{ localHost: '127.0.0.1', localPort: holder.ports[0]!, remotePort: remote, protocol: 'tcp' }])).rejects.toThrow(
      `local port 127.0.0.1:${holder.ports[0]} is already in use.`,
    );
  });

  it('ends the holder, and frees its ports, when its parent is killed with -9', async () => {
    // A parent that starts the holder as the CLI does (its stdin a pipe), then sits.
    const script = `require('node:child_process').spawn(${JSON.stringify(RELAY)}, ['hold', '127.0.0.1', '0'], { stdio: ['pipe', 'inherit', 'inherit'] }); setInterval(() => {}, 1000);`;
    const parent = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    cleanups.push(() => void parent.kill('SIGKILL'));
    const said = await new Promise<string>((resolve) => parent.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString())));
    const port = Number(/^listening (\d+)/.exec(said)?.[1]);
    expect(port).toBeGreaterThan(0);
    parent.kill('SIGKILL');
    await waitFor(async () => (await client(port, (socket) => socket.end())).end === 'ECONNREFUSED');
  });
});

/** A port of this host's loopback that nothing listens on (now). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
