/**
 * The `sidekick inspect` report: what the engine says about a target joined with what its
 * /proc says, in one engine-neutral, JSON-ready shape (no bigint, no Map). Pure.
 */
import {
  type CapabilityName,
  type IdSet,
  type InetSocket,
  decodeCapabilities,
  diffFromDockerDefault,
  isListeningSocket,
  mapSocketInodesToPids,
} from '../core/proc/index.js';
import type { Target, TargetMount } from '../core/target.js';
import { parseAccounts, type Accounts } from './accounts.js';
import { cgroupLimits, type CgroupLimits } from './cgroup-limits.js';
import type { ProcessSample, TargetSample } from './decode-dump.js';
import type { EnvironEntry, MountInfoEntry } from '../core/proc/index.js';
import { imageKind, parseOsRelease, type ImageKind } from './filesystem-kind.js';
import type { NamespaceSharing, SharableKind, SharingPeer } from './namespace-sharing.js';
import { openFilesOf, parseInet6, parseLimits, parseRoutes, type OpenFiles, type ResourceLimit, type Route } from './process-facts.js';
import { maskArgv, maskEnvValue, maskSecretsIn } from './secrets.js';

export interface InspectReport {
  identity: {
    name: string;
    id: string;
    image: string;
    imageId: string;
    created: string;
    state: string;
    startedAt: string;
    restarts: number;
    health: string;
    exitCode: number;
    /** Whether the kernel's OOM killer ended the last run. */
    oomKilled: boolean;
    /** When the last run ended; null while it never has. */
    finishedAt: string | null;
    /** "no", "always", "unless-stopped", "on-failure" or "on-failure:N". */
    restartPolicy: string;
    /** The engine's error for its last start ("" when none). */
    error: string;
    /** When the image was built; null when the engine does not say (or the image is gone). */
    imageCreated: string | null;
  };
  /** The last health check, when the image or the run defines one. */
  health?: { status: string; failingStreak: number; lastExitCode: number; lastOutput: string; lastCheck: string };
  /** The target process's resource limits (setrlimit names: nofile, nproc, core…). */
  rlimits?: Record<string, ResourceLimit>;
  /** What each process holds open: counts, and the files deleted while open. */
  openFiles?: OpenFiles[];
  /** Addresses (the engine's, per network; IPv6 from the namespace) and IPv4 routes of the network namespace. */
  network?: {
    addresses: Array<{ network: string; ipv4: string; ipv6: string; gateway: string }>;
    ipv6: Array<{ address: string; interface: string }>;
    routes: Route[];
  };
  /** What the engine was told to run (the process itself may differ, or be gone). */
  configured: {
    entrypoint: string[];
    command: string[];
    user: string;
    workingDir: string;
  };
  /** The last lines the target wrote, for one that is not running (secrets masked). */
  lastLogLines?: string[];
  /** Absent when the target is not running: there is no process to read. */
  pid1?: {
    pid: number;
    hostPid: number;
    commandLine: string[];
    executable: string | null;
    workingDirectory: string | null;
    startTime: string | null;
  };
  user?: {
    uid: IdSet | null;
    gid: IdSet | null;
    userName: string | null;
    groupName: string | null;
    groups: Array<{ gid: number; name: string | null }>;
  };
  security: {
    privileged: boolean;
    capabilities?: {
      effective: CapabilityName[];
      permitted: CapabilityName[];
      bounding: CapabilityName[];
      /** Bounding set against Docker's default set: what this container was given or denied. */
      addedToDockerDefault: CapabilityName[];
      droppedFromDockerDefault: CapabilityName[];
      unknownBits: number[];
    };
    noNewPrivs: boolean | null;
    seccomp: string | null;
    /** The LSM label PID 1 runs under (AppArmor profile or SELinux context), as the kernel says. */
    securityLabel: string | null;
    appArmorProfile: string;
    securityOptions: string[];
  };
  namespaces: Array<{ kind: string; id: number | null; host: boolean; sharedWith: SharingPeer[] }>;
  limits?: CgroupLimits;
  engineLimits: Target['limits'];
  environment?: Array<{ name: string; value: string | null; masked: boolean }>;
  /**
   * Which environment is shown: the process's own (/proc/PID/environ) or the one the engine
   * configured, shown when the process has none left (it rewrote it in place, as redis does)
   * or is not running.
   */
  environmentSource?: 'process' | 'configured';
  /** Said when the two differ. */
  environmentNote?: string;
  sockets?: {
    inet: Array<{
      protocol: string;
      family: string;
      local: string;
      localPort: number;
      remote: string;
      remotePort: number;
      state: string;
      listening: boolean;
      owners: Array<{ pid: number; name: string }>;
      /** Docker's embedded DNS server (127.0.0.11 on user-defined networks): the engine's, not the application's. */
      engineDns?: boolean;
    }>;
    unix: Array<{ path: string | null; type: string; state: string; listening: boolean; owners: Array<{ pid: number; name: string }> }>;
  };
  /**
   * Every mount. `source` is what the engine was told (the volume's name, the bind's host
   * directory) when it configured the mount, else what the kernel says (a device, "proc");
   * `device` is the kernel's word when the two differ. `standard` marks the runtime's own
   * (/proc, /sys, /dev and the masking mounts over their parts), hidden from the text unless asked.
   */
  mounts: Array<{ source: string; destination: string; type: string; readOnly: boolean; standard?: boolean; device?: string; origin?: 'configured' | 'engine' | 'runtime' | 'image' }>;
  /** The program PID 1 runs under an init (docker run --init, tini, dumb-init): the application's process. */
  application?: {
    pid: number;
    commandLine: string[];
    uid: number | null;
    userName: string | null;
    startTime: string | null;
  };
  readOnlyRootfs: boolean;
  filesystem?: {
    kind: ImageKind;
    shells: string[];
    packageManagers: string[];
    osRelease: Record<string, string> | null;
    largestTopLevel: Array<{ path: string; kilobytes: number }>;
  };
  /** Processes in the target's PID namespace (sidekicks of debugging sessions included). */
  processCount?: number;
  /** What could not be read or parsed; a report is still given. */
  problems: string[];
}

export interface ReportInput {
  target: Target;
  sample?: TargetSample;
  /** The tail of the target's log, asked for one that is not running. */
  logTail?: string;
  /** When the target's image was built, when the engine says. */
  imageCreated?: string;
  sharing: Map<SharableKind, NamespaceSharing>;
  showSecrets: boolean;
}

/** Clock ticks per second of /proc/<pid>/stat's start time: USER_HZ, 100 on every Linux ABI. */
export const USER_HZ = 100;

// The kernel's fixed inode numbers of the initial namespaces (include/linux/proc_ns.h).
const INITIAL_NAMESPACE_INODES: Record<string, number> = {
  ipc: 0xefffffff,
  uts: 0xeffffffe,
  user: 0xeffffffd,
  pid: 0xeffffffc,
  cgroup: 0xeffffffb,
  time: 0xeffffffa,
};

const NAMESPACE_KINDS = ['net', 'pid', 'ipc', 'uts', 'mnt', 'user', 'cgroup'] as const;

export function buildInspectReport(input: ReportInput): InspectReport {
  const { target, sample } = input;
  const report: InspectReport = {
    identity: {
      name: target.name,
      id: target.id,
      image: target.image,
      imageId: target.imageId,
      created: target.created,
      state: target.status,
      startedAt: target.startedAt,
      restarts: target.restartCount,
      health: target.health,
      exitCode: target.exitCode,
      oomKilled: target.oomKilled ?? false,
      finishedAt: target.finishedAt && !target.finishedAt.startsWith('0001-') ? target.finishedAt : null,
      restartPolicy: restartPolicyText(target.restartPolicy),
      error: target.stateError ?? '',
      imageCreated: input.imageCreated ?? null,
    },
    configured: {
      entrypoint: maskArgv(target.entrypoint, input.showSecrets).value,
      command: maskArgv(target.cmd, input.showSecrets).value,
      user: target.user,
      workingDir: target.workingDir,
    },
    security: {
      privileged: target.privileged,
      noNewPrivs: null,
      seccomp: null,
      securityLabel: null,
      appArmorProfile: target.appArmorProfile,
      securityOptions: target.securityOpt,
    },
    namespaces: namespaces(input),
    engineLimits: target.limits,
    mounts: target.mounts.map((mount) => ({ source: mount.source, destination: mount.destination, type: mount.type, readOnly: mount.readOnly, origin: 'configured' as const })),
    readOnlyRootfs: target.readOnlyRootfs,
    problems: [],
  };
  if (target.healthLog) {
    const log = target.healthLog;
    report.health = { status: target.health, failingStreak: log.failingStreak, lastExitCode: log.exitCode, lastOutput: input.showSecrets ? log.output : maskSecretsIn(log.output).value, lastCheck: log.end };
  }
  if (sample === undefined) {
    report.problems.push(`the target is ${target.status}: there is no process to read, only what the engine knows is shown`);
    Object.assign(report, {
      environment: environmentOf(undefined, target.env, 1, input.showSecrets).environment,
      environmentSource: 'configured',
      environmentNote: `the target is ${target.status}: there is no process to read its own from`,
    });
    if (input.logTail !== undefined) {
      report.lastLogLines = input.logTail
        .replace(/\n$/, '')
        .split('\n')
        .filter((line, index, all) => !(all.length === 1 && line === ''))
        .map((line) => (input.showSecrets ? line : maskSecretsIn(line).value));
    }
    return report;
  }
  const accounts = parseAccounts(sample.files.get('/etc/passwd'), sample.files.get('/etc/group'));
  // The target's own process: PID 1 unless its PID namespace is another container's or the host's.
  const pid1 = sample.processes.find((process) => process.pid === sample.targetPid);
  report.pid1 = {
    pid: sample.targetPid,
    hostPid: target.hostPid,
    commandLine: maskArgv(pid1?.cmdline ?? [], input.showSecrets).value,
    executable: sample.executable ?? null,
    workingDirectory: sample.workingDirectory ?? null,
    startTime: pid1 ? startTimeIso(pid1, sample.bootTime) : null,
  };
  report.user = userOf(pid1, accounts);
  const application = applicationUnderInit(sample, pid1, accounts);
  if (application) report.application = { ...application, commandLine: maskArgv(application.commandLine, input.showSecrets).value };
  const status = pid1?.status;
  if (status) {
    const bounding = status.capabilities.bounding ?? 0n;
    const diff = diffFromDockerDefault(bounding);
    report.security.capabilities = {
      effective: decodeCapabilities(status.capabilities.effective ?? 0n).names,
      permitted: decodeCapabilities(status.capabilities.permitted ?? 0n).names,
      bounding: decodeCapabilities(bounding).names,
      addedToDockerDefault: diff.added,
      droppedFromDockerDefault: diff.dropped,
      unknownBits: diff.unknownBits,
    };
    report.security.noNewPrivs = status.noNewPrivs ?? null;
    report.security.seccomp = status.seccomp ?? null;
  }
  report.security.securityLabel = sample.securityLabel ?? null;
  report.limits = cgroupLimits(sample.cgroupVersion, sample.cgroupFiles);
  Object.assign(report, environmentOf(sample.environ, target.env, sample.targetPid, input.showSecrets));
  report.sockets = sockets(sample);
  if (sample.limitsText !== undefined) report.rlimits = parseLimits(sample.limitsText);
  report.openFiles = openFilesOf(sample.processes.map((process) => ({ pid: process.pid, name: processName(process, process.pid), fdLinks: process.fdLinks })));
  report.network = {
    addresses: target.addresses ?? [],
    ipv6: sample.inet6Text === undefined ? [] : parseInet6(sample.inet6Text),
    routes: sample.routeText === undefined ? [] : parseRoutes(sample.routeText),
  };
  if (sample.mountinfo) {
    report.mounts = joinMounts(sample.mountinfo, target.mounts);
    const root = sample.mountinfo.find((entry) => entry.mountPoint === '/');
    report.readOnlyRootfs = root?.readOnly ?? target.readOnlyRootfs;
  }
  const osReleaseText = sample.files.get('/etc/os-release') ?? sample.files.get('/usr/lib/os-release');
  report.filesystem = {
    kind: imageKind({
      shells: sample.shells,
      packageManagers: sample.packageManagers,
      libc: sample.libc,
      hasPasswd: sample.files.has('/etc/passwd'),
      hasOsRelease: osReleaseText !== undefined,
    }),
    shells: sample.shells,
    packageManagers: sample.packageManagers,
    osRelease: osReleaseText === undefined ? null : parseOsRelease(osReleaseText),
    largestTopLevel: sample.topLevel.slice(0, 8).map((entry) => ({ path: entry.name, kilobytes: entry.kilobytes })),
  };
  report.processCount = sample.processes.length;
  // The fallback already says the process emptied its environment.
  report.problems.push(...sample.problems.filter((problem) => !(report.environmentSource === 'configured' && /environ: skipped \d+ empty entries/.test(problem))));
  return report;
}

export function startTimeIso(process: ProcessSample, bootTime: number | undefined): string | null {
  const ticks = process.stat.startTimeTicks;
  if (ticks === undefined || bootTime === undefined) return null;
  const millis = bootTime * 1000 + Number((ticks * 1000n) / BigInt(USER_HZ));
  return Number.isFinite(millis) ? new Date(millis).toISOString() : null;
}

export function userOf(process: ProcessSample | undefined, accounts: Accounts): InspectReport['user'] {
  const uid = process?.status.uid ?? null;
  const gid = process?.status.gid ?? null;
  return {
    uid,
    gid,
    userName: uid ? (accounts.users.get(uid.real) ?? null) : null,
    groupName: gid ? (accounts.groups.get(gid.real) ?? null) : null,
    groups: (process?.status.groups ?? []).map((group) => ({ gid: group, name: accounts.groups.get(group) ?? null })),
  };
}

function restartPolicyText(policy: Target['restartPolicy']): string {
  if (policy === undefined) return 'no';
  return policy.name === 'on-failure' && policy.maximumRetryCount > 0 ? `on-failure:${policy.maximumRetryCount}` : policy.name || 'no';
}

const RUNTIME_VARIABLES = new Set(['HOSTNAME', 'HOME', 'PATH', 'TERM']);

type EnvironmentPart = Pick<InspectReport, 'environment' | 'environmentSource' | 'environmentNote'>;

/**
 * The process's environment, or the engine's configured one when the process has no
 * variable left in /proc/PID/environ (a program may overwrite that memory: redis uses it for
 * its process title). Which one is shown is said whenever the two differ.
 */
export function environmentOf(live: EnvironEntry[] | undefined, configured: readonly string[], pid: number, showSecrets: boolean): EnvironmentPart {
  const configuredEntries = configured.map((entry) => {
    const equals = entry.indexOf('=');
    return equals < 0 ? { name: entry, value: undefined } : { name: entry.slice(0, equals), value: entry.slice(equals + 1) };
  });
  const show = (entries: ReadonlyArray<{ name: string; value: string | undefined }>): NonNullable<InspectReport['environment']> =>
    entries.map(({ name, value }) => (value === undefined ? { name, value: null, masked: false } : { name, ...maskEnvValue(name, value, showSecrets) }));
  if (live === undefined) {
    return { environment: show(configuredEntries), environmentSource: 'configured', environmentNote: `the engine's configured environment (/proc/${pid}/environ could not be read)` };
  }
  const variables = live.filter((entry) => entry.value !== undefined);
  if (variables.length === 0 && configuredEntries.length > 0) {
    return {
      environment: show(configuredEntries),
      environmentSource: 'configured',
      environmentNote: `the engine's configured environment: /proc/${pid}/environ holds no variable (the program overwrote it in place)`,
    };
  }
  const liveMap = new Map(variables.map((entry) => [entry.name, entry.value]));
  const configuredMap = new Map(configuredEntries.map((entry) => [entry.name, entry.value]));
  // The runtime adds these to every process (HOSTNAME, HOME, a default PATH; TERM with a TTY): not a change.
  const changed = [...new Set([...liveMap.keys(), ...configuredMap.keys()])].filter(
    (name) => liveMap.get(name) !== configuredMap.get(name) && !(RUNTIME_VARIABLES.has(name) && !configuredMap.has(name)),
  );
  return {
    environment: show(live),
    environmentSource: 'process',
    ...(changed.length > 0 && configuredEntries.length > 0
      ? { environmentNote: `the process's own (/proc/${pid}/environ); ${changed.length} variable${changed.length === 1 ? '' : 's'} differ from the engine's configured environment: ${changed.slice(0, 8).join(', ')}${changed.length > 8 ? ', …' : ''}` }
      : {}),
  };
}

function namespaces(input: ReportInput): InspectReport['namespaces'] {
  const { target, sample, sharing } = input;
  const modes = target.namespaceModes;
  const engineSaysHost: Record<string, boolean> = {
    net: modes.network.kind === 'host',
    pid: modes.pid.kind === 'host',
    ipc: modes.ipc.kind === 'host',
    uts: modes.uts.kind === 'host',
    cgroup: modes.cgroup.kind === 'host',
    user: modes.user.kind === 'host',
    mnt: false,
  };
  return NAMESPACE_KINDS.map((kind) => {
    const id = sample?.namespaces.get(kind) ?? null;
    const kernelSaysHost =
      (id !== null && INITIAL_NAMESPACE_INODES[kind] === id) || (kind === 'user' && sample?.initialUserNamespace === true);
    const shared = sharing.get(kind as SharableKind);
    return {
      kind,
      id,
      host: kernelSaysHost || engineSaysHost[kind] === true || shared?.host === true,
      sharedWith: shared?.sharedWith ?? [],
    };
  });
}

function processName(process: ProcessSample | undefined, pid: number): string {
  return process?.status.name ?? process?.stat.comm ?? String(pid);
}

function sockets(sample: TargetSample): NonNullable<InspectReport['sockets']> {
  const owners = mapSocketInodesToPids(sample.processes.flatMap((process) => process.fdLinks)).value;
  const byPid = new Map(sample.processes.map((process) => [process.pid, process]));
  const ownersOf = (inode: number): Array<{ pid: number; name: string }> =>
    (owners.get(inode) ?? []).map((pid) => ({ pid, name: processName(byPid.get(pid), pid) }));
  const inet = sample.inetSockets.map((socket: InetSocket) => ({
    protocol: socket.protocol,
    family: socket.family,
    local: socket.localAddress,
    localPort: socket.localPort,
    remote: socket.remoteAddress,
    remotePort: socket.remotePort,
    state: socket.state,
    listening: isListeningSocket(socket),
    owners: socket.inode === 0 ? [] : ownersOf(socket.inode),
    ...(socket.localAddress === DOCKER_DNS_ADDRESS ? { engineDns: true } : {}),
  }));
  // Sockets of the net namespace that no process of the target holds are the sidekick's own or kernel ones.
  const unix = sample.unixSockets
    .map((socket) => ({
      path: socket.path ?? null,
      type: socket.type,
      state: socket.state,
      listening: socket.listening,
      owners: ownersOf(socket.inode),
    }))
    .filter((socket) => socket.owners.length > 0 || socket.listening);
  return { inet, unix };
}

/** Where Docker's embedded DNS server listens inside a container on a user-defined network. */
const DOCKER_DNS_ADDRESS = '127.0.0.11';

/** The files the engine bind-mounts into every container for its name resolution. */
const ENGINE_FILES = new Set(['/etc/resolv.conf', '/etc/hostname', '/etc/hosts']);
/** The runtime's own mounts: the pseudo filesystems, and the masking and read-only mounts over their parts. */
const RUNTIME_MOUNT_POINTS = new Set(['/proc', '/sys', '/dev', '/dev/pts', '/dev/mqueue', '/dev/shm', '/dev/console', '/sys/fs/cgroup']);

/**
 * The kernel's mounts with the engine's names for them: a volume's name or a bind's host
 * directory instead of the device ("/dev/vda") that backs them.
 */
export function joinMounts(mountinfo: readonly MountInfoEntry[], configured: readonly TargetMount[]): InspectReport['mounts'] {
  const byDestination = new Map(configured.map((mount) => [mount.destination.replace(/\/+$/, '') || '/', mount]));
  return mountinfo.map((entry) => {
    const engine = byDestination.get(entry.mountPoint);
    const base = { destination: entry.mountPoint, type: entry.fsType, readOnly: entry.readOnly };
    if (engine) {
      return { ...base, source: engine.source, type: engine.type === 'volume' || engine.type === 'bind' ? engine.type : entry.fsType, origin: 'configured' as const, ...(engine.source !== entry.source ? { device: entry.source } : {}) };
    }
    if (ENGINE_FILES.has(entry.mountPoint)) return { ...base, source: `engine (${entry.mountPoint.slice(5)})`, device: entry.source, origin: 'engine' as const };
    if (entry.mountPoint === '/sbin/docker-init') return { ...base, source: 'engine (docker run --init)', device: entry.source, origin: 'engine' as const };
    if (entry.mountPoint === '/') return { ...base, source: entry.source, origin: 'image' as const };
    const standard = RUNTIME_MOUNT_POINTS.has(entry.mountPoint) || entry.mountPoint.startsWith('/proc/') || entry.mountPoint.startsWith('/sys/');
    return { ...base, source: entry.source, ...(standard ? { standard: true, origin: 'runtime' as const } : {}) };
  });
}

const INITS = new Set(['docker-init', 'tini', 'tini-static', 'dumb-init', 'catatonit']);

/** With an init as the target's process, the application is its oldest child. */
function applicationUnderInit(sample: TargetSample, pid1: ProcessSample | undefined, accounts: Accounts): InspectReport['application'] {
  if (!pid1) return undefined;
  const program = (sample.executable ?? pid1.cmdline[0] ?? '').split('/').pop() ?? '';
  if (!INITS.has(program)) return undefined;
  const children = sample.processes
    .filter((process) => (process.stat.ppid ?? process.status.ppid) === pid1.pid && process.pid !== pid1.pid)
    .sort((a, b) => Number((a.stat.startTimeTicks ?? 0n) - (b.stat.startTimeTicks ?? 0n)) || a.pid - b.pid);
  const child = children[0];
  if (!child) return undefined;
  const user = userOf(child, accounts);
  return { pid: child.pid, commandLine: child.cmdline, uid: user?.uid?.real ?? null, userName: user?.userName ?? null, startTime: startTimeIso(child, sample.bootTime) };
}

/** JSON.stringify replacer for anything that still carries a bigint. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
