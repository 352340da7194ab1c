import { isSidekickError } from '../../core/errors.js';
import { sessionLabels } from '../../core/labels.js';
import type { ProcessHandle } from '../../core/process-handle.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import { buildToolbox, type DefaultToolbox, type Toolbox } from '../toolbox.js';

/** The container that sits in the target's network namespace and opens connections for us. */
export interface Forwarder {
  id: string;
  /** The target's start time the forwarder joined: a different one means new namespaces. */
  targetStartedAt: string;
  /** Settles when the forwarder's main process has ended (and, auto-removed, the container is gone). */
  ended: Promise<void>;
  hasEnded(): boolean;
  /** Opens one TCP connection to 127.0.0.1:port inside the target; stdin/stdout carry its bytes. */
  connect(port: number): Promise<ProcessHandle>;
  /** Ends and removes the forwarder; safe to call more than once. */
  dispose(): Promise<void>;
}

/**
 * The forwarder's main process waits on its attached stdin, which sidekick never writes
 * and never closes: when sidekick goes away in any way, SIGKILL included, the engine closes
 * the attach stream, `cat` sees EOF, and the auto-removed container goes with it. A
 * `sleep` would outlive a killed sidekick forever.
 */
/** Tunnels kept started and waiting for a port, so that a new connection does not wait for an exec. */
const SPARE_TUNNELS = 2;

const MAIN_COMMAND = ['/bin/sh', '-c', 'exec cat >/dev/null', 'sidekick-forwarder'];

export async function startForwarder(engine: Engine, target: Target, toolbox: Toolbox, session: string): Promise<Forwarder> {
  const spec = {
    image: toolbox.image,
    command: MAIN_COMMAND,
    env: [],
    tty: false,
    openStdin: true,
    labels: sessionLabels({ session, kind: 'forwarder', target: target.id, created: new Date() }),
    // Only the network namespace matters, but the engine joins PID too: harmless, and it lets
    // `sidekick ps` and the target's own tools see the forwarder for what it is.
    target: { id: target.id, joinIpc: false },
    capAdd: [],
    privileged: false,
    autoRemove: true,
  };
  let sidekick;
  try {
    sidekick = await engine.runSidekick(spec);
  } catch (error) {
    // The default toolbox is assumed present (a round trip saved); build it on first use.
    if (!(isSidekickError(error) && error.code === 'IMAGE_UNAVAILABLE' && 'source' in toolbox)) throw error;
    await buildToolbox(engine, toolbox as DefaultToolbox);
    sidekick = await engine.runSidekick(spec);
  }
  const { id, process: main } = sidekick;
  main.stdout.resume();
  main.stderr.resume();
  let hasEnded = false;
  const ended = main.exit.then(
    () => {
      hasEnded = true;
    },
    () => {
      hasEnded = true;
    },
  );
  let disposed: Promise<void> | undefined;

  /**
   * A tunnel reads the port on its first line, then becomes busybox nc: nc shuts down its
   * sending side when its stdin ends (half-close), exits when the remote side closes, and
   * exits 1 when the connection is refused (pipefail keeps that status). nc copies in
   * 1 KiB reads; `cat` behind it batches what goes back to the engine, which roughly
   * doubles the download rate. ash's `read` takes one byte at a time from a pipe, so
   * nothing after the port line is lost to it.
   */
  const startTunnel = (): Promise<ProcessHandle> =>
    engine.execInContainer(id, {
      command: ['/bin/sh', '-c', 'read -r port && set -o pipefail && /bin/nc 127.0.0.1 "$port" | /bin/cat', 'sidekick-tunnel'],
      tty: false,
      openStdin: true,
    });
  const spares: Array<{ handle: ProcessHandle; ended: boolean }> = [];
  let starting = 0;
  function refill(): void {
    while (disposed === undefined && !hasEnded && spares.length + starting < SPARE_TUNNELS) {
      starting++;
      startTunnel().then(
        (handle) => {
          starting--;
          const spare = { handle, ended: false };
          void handle.exit.finally(() => {
            spare.ended = true;
            const at = spares.indexOf(spare);
            if (at >= 0) spares.splice(at, 1);
          }).catch(() => undefined);
          if (disposed === undefined && !hasEnded) spares.push(spare);
          else handle.stdin?.end();
        },
        () => {
          starting--; // the forwarder is going away; connections will start their own tunnel and report why
        },
      );
    }
  }
  refill();
  return {
    id,
    targetStartedAt: target.startedAt,
    ended,
    hasEnded: () => hasEnded,
    async connect(port) {
      // An engine exec costs 150-400 ms here: a tunnel started ahead of time hides that.
      const spare = spares.shift();
      refill();
      const tunnel = spare !== undefined && !spare.ended ? spare.handle : await startTunnel();
      tunnel.stdin!.write(`${port}\n`);
      return tunnel;
    },
    dispose() {
      disposed ??= (async () => {
        spares.length = 0;
        main.stdin?.end();
        await engine.removeContainer(id, { force: true }).catch(() => undefined);
        await ended;
      })();
      return disposed;
    },
  };
}
