import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import type { Toolbox } from '../toolbox.js';
import { launchForwarderContainer, type Forwarder } from './forwarder.js';
import { openRelayTunnel } from './relay-tunnel.js';
import type { Tunnel } from './tunnel.js';

/** Where the relay directory appears in the forwarder. */
const MOUNT_POINT = '/.sidekick-relay';
const DIRECTORY_PREFIX = 'sidekick-relay-';
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
  await removeStaleDirectories();
  const directory = await mkdtemp(join(tmpdir(), `${DIRECTORY_PREFIX}${process.pid}-`));
  const removeDirectory = (): Promise<void> => rm(directory, { recursive: true, force: true });
  try {
    await copyFile(relayBinary, join(directory, 'sidekick-relay'));
    await chmod(join(directory, 'sidekick-relay'), 0o755);
  } catch {
    await removeDirectory();
    return undefined;
  }
  const container = await launchForwarderContainer(engine, target, toolbox, session, {
    command: [`${MOUNT_POINT}/sidekick-relay`, MOUNT_POINT],
    binds: [{ source: directory, target: MOUNT_POINT }],
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
      main.stdin?.end();
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      await engine.removeContainer(id, { force: true }).catch(() => undefined);
      await ended;
      for (const tunnel of live) tunnel.lose();
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
      const tunnel = await openRelayTunnel(socketPath, port);
      live.add(tunnel);
      void tunnel.ended.then(() => live.delete(tunnel));
      return tunnel;
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

/** Directories of clients that died (kill -9) before they could remove theirs. */
async function removeStaleDirectories(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  for (const name of names) {
    const pid = Number(/^sidekick-relay-(\d+)-/.exec(name)?.[1]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    await rm(join(tmpdir(), name), { recursive: true, force: true }).catch(() => undefined);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
