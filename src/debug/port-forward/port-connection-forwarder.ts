import type { Target } from '../../core/target.js';
import type { PortConnection, PortConnectionCapability } from '../../engines/engine.js';
import type { Tunnel, TunnelEnd } from './tunnel.js';
import type { Forwarder } from './forwarder.js';

/**
 * A forwarder with no container: each connection is opened by the engine itself (its
 * `portConnections`, the Kubernetes API's port-forward), one per local connection, so a
 * failed one ends that connection alone (docs/ARCHITECTURE.md, "port-forward"). Nothing is
 * added to the target. It ends only when disposed: it has no process of its own to lose.
 */
export function portConnectionForwarder(connections: PortConnectionCapability, target: Target): Forwarder {
  const live = new Set<PortConnection>();
  let disposed = false;
  let settle!: () => void;
  const ended = new Promise<void>((resolve) => {
    settle = resolve;
  });
  return {
    id: target.id,
    targetStartedAt: target.startedAt,
    ended,
    hasEnded: () => disposed,
    async connect(port) {
      if (disposed) throw new Error('the port-forward is ending');
      const connection = await connections.connectToPort(target.id, port);
      if (disposed) {
        connection.abort();
        throw new Error('the port-forward is ending');
      }
      live.add(connection);
      void connection.ended.then(() => live.delete(connection));
      return tunnelOfConnection(connection);
    },
    async dispose() {
      if (disposed) return;
      disposed = true;
      const ending = [...live].map((connection) => connection.ended);
      for (const connection of live) connection.abort();
      await Promise.all(ending);
      settle();
    },
  };
}

/** A connection as bridge-connection.ts reads a tunnel: an orderly close is a status 0. */
export function tunnelOfConnection(connection: PortConnection): Tunnel {
  const ended = connection.ended.then((end): TunnelEnd => (end.kind === 'closed' ? { kind: 'exited', status: 0, message: '' } : end));
  return {
    stdin: connection.input,
    stdout: connection.output,
    ended,
    abort: () => connection.abort(),
    lose: () => connection.abort(),
  };
}
