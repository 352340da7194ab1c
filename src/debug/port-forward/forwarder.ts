import { isSidekickError } from '../../core/errors.js';
import type { ProcessHandle } from '../../core/process-handle.js';
import { createWithName, isNameInUse } from '../../core/container-name.js';
import { sessionLabels } from '../../core/labels.js';
import { SESSION_SHELL_FUNCTIONS } from '../../core/session-shell.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import { buildToolbox, type DefaultToolbox, type Toolbox } from '../toolbox.js';
import { TUNNEL_COMMAND, tunnelOver, type Tunnel } from './tunnel.js';

/** The container that sits in the target's network namespace and opens connections for us. */
export interface Forwarder {
  id: string;
  /** The target's start time the forwarder joined: a different one means new namespaces. */
  targetStartedAt: string;
  /** Settles when the forwarder's main process has ended (and, auto-removed, the container is gone). */
  ended: Promise<void>;
  hasEnded(): boolean;
  /**
   * Opens one TCP connection to 127.0.0.1:port inside the target; stdin/stdout carry its
   * bytes. Absent when the forwarder accepts on the local sockets itself (the relay).
   */
  connect?(port: number): Promise<Tunnel>;
  /** Ends and removes the forwarder; safe to call more than once. */
  dispose(): Promise<void>;
}

/** Tunnels kept started and waiting for a port, so that a new connection does not wait for an exec. */
const SPARE_TUNNELS = 2;

/**
 * The forwarder's main process reads its attached stdin, which sidekick never closes: when
 * sidekick goes away in any way, SIGKILL included, the engine closes the attach stream, the
 * loop sees EOF, and the auto-removed container goes with it (a `sleep` would outlive a
 * killed sidekick for ever). Each line sidekick writes is the PID of a tunnel's shell whose
 * children (nc, cat) must end now: the exec API has no kill, and a tunnel whose client is
 * gone would otherwise hold its connection in the target as long as the remote keeps it.
 *
 * At EOF it ends the children of every tunnel shell (the processes of its own cgroup) and
 * waits until they are gone, before it exits: the runtime kills whatever is left when the
 * main process ends, all at once, and a child that outlives its shell for an instant is
 * re-parented to the target's PID 1, a zombie for ever (docs/RELIABILITY.md).
 */
const MAIN_SCRIPT = [
  SESSION_SHELL_FUNCTIONS,
  'while read -r pid; do for child in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do kill -KILL "$child" 2>/dev/null; done; done',
  'read -r me </proc/$$/cgroup',
  'for f in /proc/[0-9]*/cgroup; do',
  '  p=${f#/proc/}; p=${p%/cgroup}',
  '  [ "$p" = "$$" ] && continue',
  '  read -r theirs <"$f" 2>/dev/null || continue',
  '  [ "$theirs" = "$me" ] && sweep KILL "$p"',
  'done',
  'exit 0',
].join('\n');
const MAIN_COMMAND = ['/bin/sh', '-c', MAIN_SCRIPT, 'sidekick-forwarder'];

/** How long the forwarder may take to end its tunnels before it is removed by force. */
const END_GRACE_MS = 5_000;

export interface ForwarderContainer {
  id: string;
  main: ProcessHandle;
  ended: Promise<void>;
  hasEnded(): boolean;
}

/** Starts the forwarder container in the target's namespaces, its main process attached. */
export async function launchForwarderContainer(
  engine: Engine,
  target: Target,
  toolbox: Toolbox,
  session: string,
  main: { command: string[]; binds?: Array<{ source: string; target: string }> },
): Promise<ForwarderContainer> {
  const spec = {
    image: toolbox.image,
    command: main.command,
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
    ...(main.binds ? { binds: main.binds } : {}),
  };
  const sidekick = await createWithName(undefined, target.name, session, async (name) => {
    try {
      return await engine.runSidekick({ ...spec, name });
    } catch (error) {
      // The default toolbox is assumed present (a round trip saved); build it on first use.
      if (!(isSidekickError(error) && error.code === 'IMAGE_UNAVAILABLE' && 'source' in toolbox)) throw error;
      await buildToolbox(engine, toolbox as DefaultToolbox);
      return engine.runSidekick({ ...spec, name });
    }
  }, isNameInUse);
  let hasEnded = false;
  const ended = sidekick.process.exit.then(
    () => {
      hasEnded = true;
    },
    () => {
      hasEnded = true;
    },
  );
  return { id: sidekick.id, main: sidekick.process, ended, hasEnded: () => hasEnded };
}

/**
 * Ends a forwarder container and what it carried: its main process reads EOF on stdin and
 * ends its connections itself, given `graceMs`; then the container is removed by force, and
 * tunnels whose streams the engine still holds open are let go of.
 */
export async function endForwarderContainer(engine: Engine, container: ForwarderContainer, live: Iterable<Tunnel>, graceMs: number): Promise<void> {
  container.main.stdin?.end();
  await Promise.race([container.ended, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
  await engine.removeContainer(container.id, { force: true }).catch(() => undefined);
  await container.ended;
  for (const tunnel of live) tunnel.lose();
}

/** Keeps `tunnel` in `live` until it has ended. */
export function trackTunnel(live: Set<Tunnel>, tunnel: Tunnel): Tunnel {
  live.add(tunnel);
  void tunnel.ended.then(() => live.delete(tunnel));
  return tunnel;
}

/** A forwarder that opens each connection with an exec of busybox nc (./tunnel.ts): works on every engine. */
export async function startForwarder(engine: Engine, target: Target, toolbox: Toolbox, session: string): Promise<Forwarder> {
  const container = await launchForwarderContainer(engine, target, toolbox, session, { command: MAIN_COMMAND });
  const { id, main, ended, hasEnded: endedNow } = container;
  main.stdout.resume();
  main.stderr.resume();
  let disposed: Promise<void> | undefined;

  const killChildren = (pid: number): void => {
    const control = main.stdin;
    if (control && !control.writableEnded && !endedNow() && Number.isSafeInteger(pid) && pid > 1) control.write(`${pid}\n`);
  };
  /**
   * A tunnel (./tunnel.ts) reads the port on its first line, then runs busybox nc: nc shuts
   * down its sending side when its stdin ends (half-close), exits when the remote side
   * closes, and exits 1 when the connection is refused (pipefail keeps that status). nc
   * copies in 1 KiB reads; `cat` behind it batches what goes back to the engine, which
   * roughly doubles the download rate. ash's `read` takes one byte at a time from a pipe,
   * so nothing after the port line is lost to it.
   */
  const live = new Set<Tunnel>();
  const startTunnel = async (): Promise<Tunnel> =>
    trackTunnel(live, tunnelOver(await engine.execInContainer(id, { command: TUNNEL_COMMAND, tty: false, openStdin: true }), killChildren));
  const spares: Array<{ handle: Tunnel; ended: boolean }> = [];
  let starting = 0;
  function refill(): void {
    while (disposed === undefined && !endedNow() && spares.length + starting < SPARE_TUNNELS) {
      starting++;
      startTunnel().then(
        (handle) => {
          starting--;
          const spare = { handle, ended: false };
          void handle.ended.then(() => {
            spare.ended = true;
            const at = spares.indexOf(spare);
            if (at >= 0) spares.splice(at, 1);
          });
          if (disposed === undefined && !endedNow()) spares.push(spare);
          else handle.stdin.end();
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
    hasEnded: endedNow,
    async connect(port) {
      // An engine exec costs 150-400 ms here: a tunnel started ahead of time hides that.
      const spare = spares.shift();
      refill();
      const tunnel = spare !== undefined && !spare.ended ? spare.handle : await startTunnel();
      tunnel.stdin.write(`${port}\n`);
      return tunnel;
    },
    dispose() {
      disposed ??= (async () => {
        spares.length = 0;
        // nc and cat end through their shells before the container goes: processes the
        // runtime kills all at once could leave one re-parented to the target's PID 1.
        for (const tunnel of live) tunnel.abort();
        await endForwarderContainer(engine, container, live, END_GRACE_MS);
      })();
      return disposed;
    },
  };
}
