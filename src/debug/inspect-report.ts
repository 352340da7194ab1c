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
import type { Target } from '../core/target.js';
import { parseAccounts, type Accounts } from './accounts.js';
import { cgroupLimits, type CgroupLimits } from './cgroup-limits.js';
import type { ProcessSample, TargetSample } from './decode-dump.js';
import { imageKind, parseOsRelease, type ImageKind } from './filesystem-kind.js';
import type { NamespaceSharing, SharableKind, SharingPeer } from './namespace-sharing.js';
import { maskArgv, maskEnvValue } from './secrets.js';

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
  };
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
    }>;
    unix: Array<{ path: string | null; type: string; state: string; listening: boolean; owners: Array<{ pid: number; name: string }> }>;
  };
  mounts: Array<{ source: string; destination: string; type: string; readOnly: boolean }>;
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
    mounts: target.mounts.map((mount) => ({ source: mount.source, destination: mount.destination, type: mount.type, readOnly: mount.readOnly })),
    readOnlyRootfs: target.readOnlyRootfs,
    problems: [],
  };
  if (sample === undefined) {
    report.problems.push(`the target is ${target.status}: there is no process to read, only what the engine knows is shown`);
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
  report.environment = (sample.environ ?? []).map(({ name, value }) => {
    if (value === undefined) return { name, value: null, masked: false };
    return { name, ...maskEnvValue(name, value, input.showSecrets) };
  });
  report.sockets = sockets(sample);
  if (sample.mountinfo) {
    report.mounts = sample.mountinfo.map((entry) => ({
      source: entry.source,
      destination: entry.mountPoint,
      type: entry.fsType,
      readOnly: entry.readOnly,
    }));
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
  report.problems.push(...sample.problems);
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

function namespaces(input: ReportInput): InspectReport['namespaces'] {
  const { target, sample, sharing } = input;
  const modes = target.namespaceModes;
  const engineSaysHost: Record<string, boolean> = {
    net: modes.network === 'host',
    pid: modes.pid === 'host',
    ipc: modes.ipc === 'host',
    uts: modes.uts === 'host',
    cgroup: modes.cgroup === 'host',
    user: modes.user === 'host',
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

/** JSON.stringify replacer for anything that still carries a bigint. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}
