import type { Protocol } from '../../core/port-spec.js';
import { chmod, copyFile, lstat, mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { processExists } from '../../core/local-process.js';
import { ownerKeyDirectories } from '../../core/ownership/owner-key.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import type { Toolbox } from '../toolbox.js';
import { endForwarderContainer, launchForwarderContainer, type Forwarder } from './forwarder.js';
import type { PortHolder } from './port-holder.js';

/** Where the relay directory appears in the forwarder. */
const MOUNT_POINT = '/.sidekick-relay';
/** How long the relay may take to say it listens before the exec forwarder is used instead. */
const READY_TIMEOUT_MS = 5_000;

/** What the relay tells about a connection it carries (a line on its stdout). */
export interface RelayEvent {
  kind: 'refused' | 'failed';
  port: number;
  protocol: Protocol;
  reason: string;
}

/** "refused PORT why", "refused PORT/udp why" or "failed PORT why"; anything else is not an event. */
export function parseRelayEvent(line: string): RelayEvent | undefined {
  const match = /^(refused|failed) (\d{1,5})(\/udp)? (.*)$/.exec(line);
  if (!match) return undefined;
  return { kind: match[1] as RelayEvent['kind'], port: Number(match[2]), protocol: match[3] ? 'udp' : 'tcp', reason: match[4]! };
}

/**
 * A forwarder whose main process is the relay (native/sidekick-relay.c), for an engine on
 * this machine: the relay listens on a Unix socket in a private directory of the client
 * (0700, bind-mounted into the forwarder, nothing in the target), the holder hands it the
 * local listening sockets there, and from then on it accepts and carries every connection
 * itself (splice, in the kernel): neither Node nor an engine stream is in the data path.
 * Resolves with undefined when this engine cannot do it (its bind mounts are not this
 * machine's paths, e.g. an engine in a VM): the caller then uses the exec forwarder.
 */
export async function startRelayForwarder(
  engine: Engine,
  target: Target,
  toolbox: Toolbox,
  session: string,
  relayBinary: string,
  holder: PortHolder,
  onEvent: (event: RelayEvent) => void,
): Promise<Forwarder | undefined> {
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
  let disposed: Promise<void> | undefined;
  const dispose = (): Promise<void> => {
    disposed ??= (async () => {
      // The relay resets every connection it carries when its stdin ends.
      await endForwarderContainer(engine, container, [], 2_000);
      await removeDirectory();
    })();
    return disposed;
  };

  // Not handed over: the socket is not this machine's (an engine in a VM), or the relay failed.
  if (!(await relayReady(main.stdout, ended)) || (await holder.handTo(socketPath)) !== undefined) {
    await dispose();
    return undefined;
  }
  readEvents(main.stdout, onEvent);
  return { id, targetStartedAt: target.startedAt, ended, hasEnded: container.hasEnded, dispose };
}

function readEvents(stdout: NodeJS.ReadableStream, onEvent: (event: RelayEvent) => void): void {
  let pending = '';
  stdout.on('data', (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    let at: number;
    while ((at = pending.indexOf('\n')) >= 0) {
      const event = parseRelayEvent(pending.slice(0, at));
      pending = pending.slice(at + 1);
      if (event) onEvent(event);
    }
    // A line never ends: keep memory bounded.
    if (pending.length > 4096) pending = '';
  });
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
