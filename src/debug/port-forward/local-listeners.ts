import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { SidekickError } from '../../core/errors.js';
import { formatHostPort, type PortSpec } from '../../core/port-spec.js';

export interface LocalListener {
  spec: PortSpec;
  server: Server;
  /** The port really bound (the free one chosen when the spec said 0). */
  port: number;
}

/**
 * Binds every local port before anything is started on the engine, so that a port in use
 * fails the command with nothing to clean up. Connections wait paused (nothing is read)
 * until `onConnection` takes them; half-open is allowed so that a client's FIN can be
 * passed on while the answer still flows back.
 */
export async function listenAll(specs: readonly PortSpec[], onConnection: (listener: LocalListener, socket: Socket) => void): Promise<LocalListener[]> {
  const listeners: LocalListener[] = [];
  try {
    for (const spec of specs) {
      const server = createServer({ allowHalfOpen: true, pauseOnConnect: true });
      await listen(server, spec);
      const listener: LocalListener = { spec, server, port: (server.address() as AddressInfo).port };
      server.on('connection', (socket: Socket) => onConnection(listener, socket));
      listeners.push(listener);
    }
  } catch (error) {
    await closeAll(listeners);
    throw error;
  }
  return listeners;
}

function listen(server: Server, spec: PortSpec): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(listenError(error, spec)));
    server.listen({ host: spec.localHost, port: spec.localPort, exclusive: true }, () => {
      server.removeAllListeners('error');
      // A listening server that errors later (rare: e.g. EMFILE on accept) must not crash the forward.
      server.on('error', () => undefined);
      resolve();
    });
  });
}

export function listenError(error: NodeJS.ErrnoException, spec: PortSpec): SidekickError {
  const where = formatHostPort(spec.localHost, spec.localPort);
  switch (error.code) {
    case 'EADDRINUSE':
      return new SidekickError('BAD_USAGE', `local port ${where} is already in use.`, {
        hint: `Pick another local port (LOCAL_PORT:${spec.remotePort}), or 0:${spec.remotePort} for a free one.`,
        cause: error,
      });
    case 'EACCES':
      return new SidekickError('BAD_USAGE', `not allowed to listen on ${where} (ports below 1024 need privileges).`, {
        hint: `Use a higher local port, e.g. ${spec.localPort + 8000 <= 65535 ? spec.localPort + 8000 : 0}:${spec.remotePort}.`,
        cause: error,
      });
    case 'EADDRNOTAVAIL':
      return new SidekickError('BAD_USAGE', `${spec.localHost} is not an address of this machine; cannot listen on ${where}.`, {
        hint: 'Use 127.0.0.1 (the default), 0.0.0.0, or an address of one of this machine\'s interfaces.',
        cause: error,
      });
    default:
      return new SidekickError('INTERNAL', `cannot listen on ${where}: ${error.message}`, { cause: error });
  }
}

export async function closeAll(listeners: readonly LocalListener[]): Promise<void> {
  await Promise.all(listeners.map((listener) => new Promise<void>((resolve) => listener.server.close(() => resolve()))));
}
