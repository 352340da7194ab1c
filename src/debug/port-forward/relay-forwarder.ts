import { existsSync } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { basename, join } from 'node:path';
import { processExists } from '../../core/local-process.js';
import { ownerKeyDirectories } from '../../core/ownership/owner-key.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import type { Toolbox } from '../toolbox.js';
import { endForwarderContainer, launchForwarderContainer, trackTunnel, type Forwarder } from './forwarder.js';
import { openRelayTunnel } from './relay-tunnel.js';
import type { Tunnel } from './tunnel.js';

/** Where the relay directory appears in the forwarder. */
const MOUNT_POINT = '/.sidekick-relay';
/** How long the relay may take to say it listens before the exec forwarder is used instead. */
const READY_TIMEOUT_MS = 5_000;

/**
 * A forwarder whose main process is the relay (native/sidekick-relay.c), for an engine on
 * this machine: the relay listens on a Unix socket in a private directory of the client
 * (0700, bind-mounted into the forwarder, nothing in the target), and each connection costs
 * a Unix connect instead of an exec, with no engine stream in the data path. Resolves with
 * undefined when this engine cannot do it (its bind mounts are not this machine's paths,
 * e.g. an engine in a VM): the caller then uses the exec forwarder.
 */
export async function startRelayForwarder(engine: Engine, target: Target, toolbox: Toolbox, session: string, relayBinary: string): Promise<Forwarder | undefined> {
  const relays = await privateRelayRoot();
  if (relays === undefined) return undefined;
  await removeStaleDirectories(relays);
  const directory = await mkdtemp(join(relays, `${process.pid}-`));
  const removeDirectory = (): Promise<void> => rm(directory, { recursive: true, force: true });
  try {
    await copyFile(relayBinary, join(directory, 'sidekick-relay'));
    await chmod(join(directory, 'sidekick-relay'), 0o755);
  } catch {
    await removeDirectory();
    return undefined;
  }
  // The parent is mounted, not the session's directory: the relay removes its own directory
  // when it exits, which it could not do to a mount point.
  const inForwarder = `${MOUNT_POINT}/${basename(directory)}`;
  const container = await launchForwarderContainer(engine, target, toolbox, session, {
    command: [`${inForwarder}/sidekick-relay`, inForwarder],
    binds: [{ source: relays, target: MOUNT_POINT }],
  }).catch(async (error: unknown) => {
    await removeDirectory();
    throw error;
  });
  const { id, main, ended } = container;
  main.stderr.resume();
  const socketPath = join(directory, 'relay.sock');
  const live = new Set<Tunnel>();
  let disposed: Promise<void> | undefined;
  const dispose = (): Promise<void> => {
    disposed ??= (async () => {
      // The relay resets every connection it carries when its stdin ends.
      await endForwarderContainer(engine, container, live, 2_000);
      await removeDirectory();
    })();
    return disposed;
  };

  if (!(await relayReady(main.stdout, ended)) || !(await answers(socketPath))) {
    await dispose();
    return undefined;
  }
  main.stdout.resume();
  return {
    id,
    targetStartedAt: target.startedAt,
    ended,
    hasEnded: container.hasEnded,
    async connect(port) {
      return trackTunnel(live, await openRelayTunnel(socketPath, port));
    },
    dispose,
  };
}

/** The relay writes "ready" once it listens; anything else (an exit, a timeout) means no. */
function relayReady(stdout: NodeJS.ReadableStream, ended: Promise<void>): Promise<boolean> {
  return new Promise((resolve) => {
    let said = '';
    const timer = setTimeout(() => done(false), READY_TIMEOUT_MS);
    const onData = (chunk: Buffer): void => {
      said += chunk.toString();
      if (said.includes('ready\n')) done(true);
    };
    function done(ready: boolean): void {
      clearTimeout(timer);
      stdout.off('data', onData);
      resolve(ready);
    }
    stdout.on('data', onData);
    void ended.then(() => done(false));
  });
}

/** Whether this client reaches the socket the relay made (not so when the engine runs elsewhere). */
function answers(socketPath: string): Promise<boolean> {
  if (!existsSync(socketPath)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const probe = connect({ path: socketPath });
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/**
 * `relay` beside the owner key (docs/RELIABILITY.md, "prune and ownership"): a directory of
 * this user's alone (0700, not a symbolic link, its own), made when missing; undefined when
 * there is none, and the exec carrier is used.
 */
async function privateRelayRoot(): Promise<string | undefined> {
  for (const base of ownerKeyDirectories(process.env)) {
    const root = join(base, 'relay');
    try {
      await mkdir(root, { recursive: true, mode: 0o700 });
      const seen = await lstat(root);
      const mine = typeof process.getuid !== 'function' || seen.uid === process.getuid();
      if (seen.isDirectory() && mine && (seen.mode & 0o077) === 0) return root;
    } catch {
      // not this one
    }
  }
  return undefined;
}

/** Directories of clients that died (kill -9) before their relay could remove them. */
async function removeStaleDirectories(relays: string): Promise<void> {
  const names = await readdir(relays).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(/^(\d+)-/.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || processExists(pid)) continue;
    await rm(join(relays, name), { recursive: true, force: true }).catch(() => undefined);
  }
}
