/**
 * `sidekick inspect --all`: a row per running container. The engine's inspects run in
 * parallel, and the /proc side is read by ONE short-lived sidekick in the engine host's PID
 * namespace, which reaches every container's PID 1 at /proc/<host pid>: one container start
 * instead of one per target, so that a hundred containers cost about as much as one.
 */
import { SidekickError } from '../core/errors.js';
import { type FramedDump, firstValue, parseFramedDump, sectionText, splitGrepOutput } from '../core/framed-dump.js';
import { diffFromDockerDefault, isListeningSocket, parseInetTables, parseStatus, type InetSocket } from '../core/proc/index.js';
import type { Target } from '../core/target.js';
import type { Engine } from '../engines/engine.js';
import { parseAccounts } from './accounts.js';
import { hostDumpScript } from './dump-script.js';
import { runningContainers } from './engine-containers.js';
import { namespaceSharing } from './namespace-sharing.js';
import { runCapture } from './run-capture.js';
import { ensureDefaultToolbox } from './toolbox.js';

export interface ContainerRow {
  name: string;
  id: string;
  image: string;
  /** "65532 (nonroot)"; null when the process could not be read. */
  user: string | null;
  uid: number | null;
  shell: string | null;
  privileged: boolean;
  /** Capabilities beyond Docker's default set (bounding set), e.g. ["NET_ADMIN"]. */
  extraCapabilities: string[];
  /** "tcp 0.0.0.0:8080", "udp [::]:53"… */
  listening: string[];
  /** Namespace kind to the names of the containers sharing it, or "host". */
  sharedNamespaces: Record<string, string[]>;
  problems: string[];
}

export async function inspectAll(engine: Engine, env: NodeJS.ProcessEnv): Promise<ContainerRow[]> {
  const [containers, toolbox] = await Promise.all([runningContainers(engine), ensureDefaultToolbox(engine, env)]);
  if (containers.length === 0) return [];
  const withPid = containers.filter((container) => container.hostPid > 0);
  const result = await runCapture(engine, {
    image: toolbox.image,
    script: hostDumpScript(),
    env: [`TARGETS=${withPid.map((container) => container.hostPid).join(' ')}`],
    target: { hostPid: true },
    nameFor: 'all',
    capAdd: ['SYS_PTRACE'],
  });
  if (result.code !== 0) {
    throw new SidekickError('ENGINE_ERROR', `the sidekick reading the containers' /proc failed (status ${result.code}): ${result.stderr.trim().split('\n')[0] ?? ''}`, {
      hint: 'The engine must allow a container in its host PID namespace; retry with --debug.',
    });
  }
  const dump = parseFramedDump(result.stdout);
  const files = splitGrepOutput(sectionText(dump, 'lines') ?? '');
  const sidekickIds = new Set([result.sidekickId]);
  return containers
    .map((container) => row(container, containers, dump, files, sidekickIds))
    .sort((a, b) => a.name.localeCompare(b.name));
}

function row(container: Target, all: readonly Target[], dump: FramedDump, files: ReadonlyMap<string, string>, ignore: ReadonlySet<string>): ContainerRow {
  const pid = container.hostPid;
  const prefix = `${pid}/`;
  const problems: string[] = [];
  const statusText = files.get(`/proc/${pid}/status`);
  const status = statusText === undefined ? undefined : parseStatus(statusText);
  if (status === undefined) problems.push('its PID 1 could not be read');
  const fileOf = (scalar: string): string | undefined => {
    const path = firstValue(dump, `${prefix}${scalar}`);
    return path === undefined ? undefined : files.get(path);
  };
  const accounts = parseAccounts(fileOf('passwd'), fileOf('group'));
  const uid = status?.value.uid?.real ?? null;
  const userName = uid === null ? undefined : accounts.users.get(uid);
  const bounding = status?.value.capabilities.bounding;

  const sockets: InetSocket[] = [];
  for (const { result } of parseInetTables((name) => files.get(`/proc/${pid}/net/${name}`))) sockets.push(...result.value);
  const listening = [
    ...new Set(
      sockets.filter(isListeningSocket).map((socket) => {
        const address = socket.localAddress.includes(':') ? `[${socket.localAddress}]` : socket.localAddress;
        return `${socket.protocol} ${address}:${socket.localPort}`;
      }),
    ),
  ];

  const sharing = namespaceSharing(container.id, all, ignore);
  const sharedNamespaces: Record<string, string[]> = {};
  for (const [kind, shared] of sharing) {
    const names = [...(shared.host ? ['host'] : []), ...shared.sharedWith.map((peer) => peer.name)];
    if (names.length > 0) sharedNamespaces[kind] = names;
  }
  const shells = dump.values.get(`${prefix}shell`) ?? [];
  return {
    name: container.name,
    id: container.id,
    image: container.image,
    user: uid === null ? null : `${uid}${userName ? ` (${userName})` : ''}`,
    uid,
    shell: shells[0] ?? null,
    privileged: container.privileged,
    extraCapabilities: bounding === undefined ? [] : diffFromDockerDefault(bounding).added.map((name) => name.replace(/^CAP_/, '')),
    listening,
    sharedNamespaces,
    problems,
  };
}
