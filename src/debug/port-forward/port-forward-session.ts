import type { Socket } from 'node:net';
import { SidekickError, isSidekickError } from '../../core/errors.js';
import { newSessionId } from '../../core/labels.js';
import type { PortSpec, Protocol } from '../../core/port-spec.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import { defaultToolboxCandidate, ensureDefaultToolbox, type Toolbox } from '../toolbox.js';
import { bridgeConnection, resetLocal } from './bridge-connection.js';
import { startForwarder, type Forwarder } from './forwarder.js';
import { portConnectionForwarder } from './port-connection-forwarder.js';
import { startRelayForwarder, type RelayEvent } from './relay-forwarder.js';
import { closeAll, listenAll, type LocalListener } from './local-listeners.js';
import { holdPorts, type PortHolder } from './port-holder.js';
import { assertForwardable, readTargetState, targetGoneError, type TargetState } from './target-state.js';
import { shortId } from '../../core/short-id.js';

export interface PortForwardRequest {
  target: string;
  ports: readonly PortSpec[];
  /** How often the target is looked at to follow a restart; default 1 s. */
  watchIntervalMs?: number;
  /** How long a stopped target may take to come back (docker restart) before the forward ends; default 5 s. */
  stoppedGraceMs?: number;
  /** How long the engine may stay away (a crash, a restart) before the forward ends; default 30 s. */
  engineGraceMs?: number;
  /**
   * The relay binary (native/sidekick-relay.c) for an engine on this machine; without it,
   * or where the engine cannot reach this machine's paths, one exec per connection.
   */
  relayBinary?: string;
}

export interface ActiveForward {
  localHost: string;
  localPort: number;
  remotePort: number;
  protocol: Protocol;
}

export interface PortForwardEvents {
  onToolboxBuild?: (source: string) => void;
  /** Things a person watching should know: refused connections, restarts of the target. */
  onNotice?: (message: string) => void;
  /** Details for --debug: how connections are carried. */
  onDebug?: (message: string) => void;
}

export interface PortForwardSession {
  sessionId: string;
  target: Target;
  forwards: ActiveForward[];
  /** Rejects (with a SidekickError) when the target is gone for good; resolves after close(). */
  ended: Promise<void>;
  /** Stops listening, ends every connection and removes the forwarder; safe to call twice. */
  close(): Promise<void>;
}

/**
 * `sidekick port-forward`: local listening sockets, and one forwarder container in the
 * target's network namespace. With the relay, a holder process keeps the listening sockets
 * and hands them to the relay, which accepts and carries each connection itself; else Node
 * listens and each connection is an exec of busybox nc (docs/ARCHITECTURE.md, "port-forward").
 * An engine that opens connections itself (`portConnections`: Kubernetes) needs no forwarder:
 * Node listens and each connection is one of the engine's, nothing added to the target.
 * The target is looked at every second: a restart (new start time, hence new namespaces)
 * gets a new forwarder; a target that stays stopped or is removed ends the forward.
 */
export async function startPortForward(
  engine: Engine,
  request: PortForwardRequest,
  env: NodeJS.ProcessEnv,
  events: PortForwardEvents = {},
): Promise<PortForwardSession> {
  const notice = events.onNotice ?? (() => undefined);
  // An engine that opens connections itself needs nothing in the target: no toolbox, no forwarder container.
  const direct = engine.portConnections;
  if (direct !== undefined) refuseProtocolsOf(engine, direct.protocols, request.ports);
  const findTarget = direct?.findNetworkOwner !== undefined ? direct.findNetworkOwner.bind(direct) : engine.findContainer.bind(engine);
  const [target, toolbox] = await Promise.all([findTarget(request.target), direct === undefined ? resolveToolbox(engine, env, events) : undefined]);
  assertForwardable(target, engine.commands);
  const sessionId = newSessionId();
  const sockets = new Set<Socket>();
  let forwarder: Forwarder | undefined;
  let closed = false;

  const onConnection = (listener: LocalListener, socket: Socket): void => {
    if (closed) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    const remotePort = listener.spec.remotePort;
    void bridgeConnection(socket, async () => {
      // A connection that arrives while the forwarder is being replaced waits for the new one.
      if (reconciling) await reconciling;
      if (forwarder?.connect === undefined) throw new Error(`container ${target.name} is not running`);
      return forwarder.connect(remotePort);
    }).then((outcome) => {
      sockets.delete(socket);
      if (outcome.kind === 'refused') connectionEnded({ kind: 'refused', port: remotePort, protocol: 'tcp', reason: '' });
      if (outcome.kind === 'failed') connectionEnded({ kind: 'failed', port: remotePort, protocol: 'tcp', reason: outcome.reason });
    });
  };

  /** A connection the target refused or cut: said, and the target looked at again. */
  function connectionEnded(event: RelayEvent): void {
    if (closed) return;
    const remotePort = event.port;
    // A pod's containers share one network: the port is the pod's, whichever container was named.
    const place = target.namespaceModes.network.kind === 'pod' ? 'the pod' : 'the container';
    if (event.kind === 'refused' && event.protocol === 'udp') notice(`datagrams to ${target.name}:${remotePort}/udp are refused: nothing listens on UDP port ${remotePort} in ${place}.`);
    else if (event.kind === 'refused') notice(`connection to ${target.name}:${remotePort} refused: nothing listens on port ${remotePort} in ${place}.`);
    else {
      // While the engine is away every connection fails the same way; that was said once.
      if (engineAwaySince === undefined) notice(`connection to ${target.name}:${remotePort} failed: ${event.reason}`);
      wake();
    }
  }

  const relayBinary = direct === undefined && request.relayBinary !== undefined && engine.endpoint.startsWith('unix://') ? request.relayBinary : undefined;
  if (relayBinary === undefined && direct === undefined) refuseUdpWithoutRelay(request.ports, request.relayBinary === undefined ? 'no relay is at hand (it is built with gcc -static; SIDEKICK_RELAY=off turns it off)' : 'the engine is not on this machine');
  /**
   * Who holds the local listening sockets: the holder while the relay carries connections,
   * else Node's listeners (the exec carrier). Both bind every port before anything is
   * started on the engine, so that a port in use fails with nothing to clean up.
   */
  let holder: PortHolder | undefined =
    relayBinary === undefined
      ? undefined
      : await holdPorts(relayBinary, request.ports).catch((error: unknown) => {
          // A port in use is the user's to know; a binary that does not run here (another
          // architecture) means the exec carrier.
          if (isSidekickError(error)) throw error;
          events.onDebug?.(`port-forward: the relay does not run on this machine (${error instanceof Error ? error.message : String(error)}).`);
          refuseUdpWithoutRelay(request.ports, 'the relay does not run on this machine');
          return undefined;
        });
  let listeners: LocalListener[] = holder === undefined ? await listenAll(request.ports, onConnection) : [];
  const localPorts = holder?.ports ?? listeners.map((listener) => listener.port);
  const closeLocal = async (): Promise<void> => {
    await Promise.all([holder?.close(), closeAll(listeners)]);
  };

  /** The relay when it can be used (and worked before), else the exec forwarder. */
  async function newForwarder(current: Target): Promise<Forwarder> {
    if (direct !== undefined) {
      events.onDebug?.(`port-forward: the ${engine.kind} engine opens each connection itself; nothing is added to ${current.name}.`);
      return portConnectionForwarder(direct, current);
    }
    if (toolbox === undefined) throw new Error('port-forward: a forwarder container needs a toolbox');
    if (holder !== undefined && relayBinary !== undefined) {
      const relayed = await startRelayForwarder(engine, current, toolbox, sessionId, relayBinary, holder, connectionEnded);
      if (relayed !== undefined) {
        events.onDebug?.(`port-forward: connections go through the relay in ${shortId(relayed.id)}.`);
        return relayed;
      }
      events.onDebug?.('port-forward: the relay cannot be reached from here (an engine in a VM?); one exec per connection.');
      refuseUdpWithoutRelay(request.ports, "the relay's socket cannot be reached from here (an engine in a VM?)");
      // Node listens instead, on the ports already chosen: the local addresses stay as said.
      const given = holder;
      holder = undefined;
      await given.close();
      listeners = await listenAll(
        request.ports.map((spec, i) => ({ ...spec, localPort: localPorts[i]! })),
        onConnection,
      );
    } else events.onDebug?.('port-forward: one exec per connection (no relay for this engine).');
    return startForwarder(engine, current, toolbox, sessionId);
  }

  try {
    forwarder = await newForwarder(target);
  } catch (error) {
    await closeLocal();
    throw error;
  }

  let finish!: (error?: unknown) => void;
  const ended = new Promise<void>((resolve, reject) => {
    finish = (error) => (error === undefined ? resolve() : reject(error));
  });
  ended.catch(() => undefined);

  let stoppedSince: number | undefined;
  /** The start of the target whose namespaces the forward uses; another one means a restart. */
  let joinedStartedAt = target.startedAt;
  let reconciling: Promise<void> | undefined;
  const stoppedGraceMs = request.stoppedGraceMs ?? 5_000;

  /** Brings the forwarder in line with the target's state. */
  async function reconcile(): Promise<void> {
    let state: TargetState;
    try {
      state = await readTargetState(engine, target.id);
    } catch (error) {
      engineTrouble(error);
      return;
    }
    if (engineAwaySince !== undefined) {
      engineAwaySince = undefined;
      notice(`the ${engine.kind} engine at ${engine.endpoint} answers again.`);
    }
    if (closed) return;
    if (state.kind === 'running') {
      stoppedSince = undefined;
      const stale = forwarder === undefined || forwarder.targetStartedAt !== state.target.startedAt || forwarder.hasEnded();
      if (!stale) return;
      const old = forwarder;
      forwarder = undefined;
      if (old !== undefined) await old.dispose();
      const fresh = await newForwarder(state.target).catch((error: unknown) => {
        notice(`cannot start a new forwarder in ${target.name}: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      });
      if (closed) {
        await fresh?.dispose();
        return;
      }
      forwarder = fresh;
      if (fresh !== undefined) {
        watchForwarder(fresh);
        notice(
          joinedStartedAt !== state.target.startedAt
            ? `container ${target.name} restarted; forwarding into its new network namespace.`
            : `the forwarder in ${target.name} had ended; started a new one.`,
        );
        joinedStartedAt = state.target.startedAt;
      }
      return;
    }
    if (state.kind === 'down' && state.target.status === 'paused') return; // same namespaces, frozen: connections just wait
    // Stopped, restarting or removed: the forwarder sits in namespaces that no longer work.
    if (forwarder !== undefined) {
      const old = forwarder;
      forwarder = undefined;
      await old.dispose();
    }
    // A restart policy at work keeps the forward waiting; a plain stop gets a short grace for `docker restart`.
    const comingBack = state.kind === 'down' && state.target.status === 'restarting';
    const firstSeen = stoppedSince === undefined;
    stoppedSince ??= Date.now();
    if (state.kind === 'removed' || (!comingBack && Date.now() - stoppedSince >= stoppedGraceMs)) {
      // Not awaited: shutdown waits for the reconcile in progress, which is this one.
      void shutdown(targetGoneError(target.name, state, engine.commands));
      return;
    }
    if (firstSeen) notice(`container ${target.name} is ${state.kind === 'down' ? state.target.status : 'gone'}; waiting for it to run again.`);
  }

  let engineAwaySince: number | undefined;
  const engineGraceMs = request.engineGraceMs ?? 30_000;
  /**
   * The engine went away (crashed, restarted) or stopped answering: wait for it, as long as
   * a restart takes, then end the forward with what happened. Connections meanwhile fail
   * with a reset.
   */
  function engineTrouble(error: unknown): void {
    const firstSeen = engineAwaySince === undefined;
    engineAwaySince ??= Date.now();
    if (Date.now() - engineAwaySince >= engineGraceMs) {
      void shutdown(engineGoneError(engine, error, engineGraceMs));
      return;
    }
    if (firstSeen) notice(`${engineAway(engine, error)}; waiting up to ${Math.round(engineGraceMs / 1000)} s for it to come back.`);
  }

  function wake(): void {
    if (closed || reconciling) return;
    reconciling = reconcile().finally(() => {
      reconciling = undefined;
    });
  }

  function watchForwarder(which: Forwarder): void {
    // A forwarder that ends while it is still the current one (removed by hand, target stopped) is noticed at once.
    void which.ended.then(() => {
      if (forwarder === which) wake();
    });
  }
  watchForwarder(forwarder);
  const timer = setInterval(wake, request.watchIntervalMs ?? 1_000);

  async function shutdown(error?: unknown): Promise<void> {
    if (closed) return;
    closed = true;
    clearInterval(timer);
    const closing = closeLocal();
    // A connection still open is cut, and the client must see it cut: a reset, not an
    // orderly close that would make a half download look complete.
    for (const socket of sockets) resetLocal(socket);
    await Promise.all([closing, forwarder?.dispose(), reconciling]);
    finish(error);
  }

  return {
    sessionId,
    target,
    forwards: request.ports.map((spec, i) => ({ localHost: spec.localHost, localPort: localPorts[i]!, remotePort: spec.remotePort, protocol: spec.protocol })),
    ended,
    close: () => shutdown(),
  };
}

function engineAway(engine: Engine, error: unknown): string {
  if (isSidekickError(error) && error.code === 'ENGINE_TIMEOUT') return error.message.replace(/\.$/, '');
  return `the ${engine.kind} engine at ${engine.endpoint} went away`;
}

/** The error a forward ends with when the engine stayed away. */
function engineGoneError(engine: Engine, error: unknown, graceMs: number): SidekickError {
  const code = isSidekickError(error) && error.code.startsWith('ENGINE_') ? error.code : 'ENGINE_GONE';
  return new SidekickError(code, `the ${engine.kind} engine at ${engine.endpoint} went away and did not come back within ${Math.round(graceMs / 1000)} s; the port-forward has ended.`, {
    hint: 'Start the engine again, then rerun sidekick port-forward.',
    cause: error,
  });
}

async function resolveToolbox(engine: Engine, env: NodeJS.ProcessEnv, events: PortForwardEvents): Promise<Toolbox> {
  // The default toolbox's name is known without the engine; startForwarder builds it if missing.
  const candidate = await defaultToolboxCandidate(env);
  if (candidate !== undefined) return candidate;
  return ensureDefaultToolbox(engine, env, events.onToolboxBuild ? { onBuild: events.onToolboxBuild } : {});
}

/**
 * UDP is carried by the relay alone: an exec per connection has no datagrams to carry them
 * in (busybox nc's UDP mode answers one peer and never ends), so a UDP port without the relay
 * is refused before anything is started, rather than forwarded badly.
 */
function refuseUdpWithoutRelay(ports: readonly PortSpec[], why: string): void {
  const udp = ports.find((spec) => spec.protocol === 'udp');
  if (udp === undefined) return;
  throw new SidekickError('ENGINE_UNSUPPORTED', `cannot forward ${udp.remotePort}/udp: UDP goes through the relay, and ${why}.`, {
    hint: 'Forward UDP with an engine on this machine and a build that has dist/sidekick-relay, or forward TCP ports only.',
  });
}

/**
 * A protocol the engine's own connections do not carry (the Kubernetes API's port-forward has
 * no UDP) is refused before anything is started: nothing listens, nothing is asked of the engine.
 */
function refuseProtocolsOf(engine: Engine, carried: readonly Protocol[], ports: readonly PortSpec[]): void {
  const missing = ports.find((spec) => !carried.includes(spec.protocol));
  if (missing === undefined) return;
  throw new SidekickError('ENGINE_UNSUPPORTED', `cannot forward ${missing.remotePort}/${missing.protocol}: the ${engine.kind} engine at ${engine.endpoint} forwards ${carried.join(' and ').toUpperCase()} only.`, {
    hint: `Forward ${carried.join(' and ').toUpperCase()} ports only; for ${missing.protocol.toUpperCase()}, run a tool in a sidekick (sidekick exec TARGET -- nc -u …).`,
  });
}
