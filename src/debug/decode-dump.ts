/**
 * Turns a framed dump (core/framed-dump.ts) of a target into typed samples, with the
 * core/proc parsers. Pure: the sidekick that produced the dump is gather-proc.ts's business.
 */
import { type FramedDump, firstValue, sectionBytes, sectionText, splitGrepOutput } from '../core/framed-dump.js';
import {
  type CgroupEntry,
  type EnvironEntry,
  type FdLink,
  type InetSocket,
  type MountInfoEntry,
  type ProcStat,
  type ProcStatus,
  type UnixSocket,
  parseCgroup,
  parseCmdline,
  parseEnviron,
  parseMountinfo,
  parseInetTables,
  parseNetUnix,
  parseStat,
  parseStatus,
} from '../core/proc/index.js';

export interface ProcessSample {
  pid: number;
  stat: ProcStat;
  status: ProcStatus;
  cmdline: string[];
  fdLinks: FdLink[];
  /** "mnt:[4026…]"; a process in another mount namespace than the target's is a sidekick's. */
  mountNamespace: string | undefined;
  /** The container whose cgroup the process is in, as the kernel says; undefined when none is named. */
  containerId: string | undefined;
  /** Whether its cgroup file was read at all (it ended, or the dump did not ask). */
  cgroupRead: boolean;
}

export interface TargetSample {
  /** The dumping shell's pid in the target's PID namespace. */
  selfPid: number | undefined;
  /** The target's own process in its PID namespace: 1 unless the namespace is shared. */
  targetPid: number;
  /** Seconds since the epoch when the host booted (start times are relative to it). */
  bootTime: number | undefined;
  /** The target's processes, the dumping sidekick's own left out. */
  processes: ProcessSample[];
  environ: EnvironEntry[] | undefined;
  executable: string | undefined;
  workingDirectory: string | undefined;
  /** Namespace kind ("net", "pid"…) to its inode number. */
  namespaces: Map<string, number>;
  mountinfo: MountInfoEntry[] | undefined;
  cgroup: CgroupEntry[] | undefined;
  /** The LSM label of PID 1 (AppArmor profile or SELinux context); undefined when no LSM says. */
  securityLabel: string | undefined;
  /** Whether PID 1 is in the initial (host's) user namespace: its uid_map is the identity. */
  initialUserNamespace: boolean | undefined;
  inetSockets: InetSocket[];
  unixSockets: UnixSocket[];
  cgroupVersion: 1 | 2 | undefined;
  /** Raw text of the cgroup files read, keyed by name ("memory.max", "pids/pids.current"). */
  cgroupFiles: Map<string, string>;
  files: Map<string, string>;
  shells: string[];
  packageManagers: string[];
  libc: string[];
  topLevel: Array<{ name: string; kilobytes: number }>;
  /** Raw text of the target process's /proc files limits, net/route, net/if_inet6 (when read). */
  limitsText?: string;
  routeText?: string;
  inet6Text?: string;
  problems: string[];
}

export function decodeTargetDump(dump: FramedDump): TargetSample {
  const problems = [...dump.problems];
  const note = (what: string, list: string[]): void => {
    for (const problem of list) problems.push(`${what}: ${problem}`);
  };
  const selfPid = numberOrUndefined(firstValue(dump, 'self'));
  // The target's own process; PID 1 only when the PID namespace is its own.
  const targetPid = numberOrUndefined(firstValue(dump, 'target')) ?? 1;
  const own = (file: string): string => `/proc/${targetPid}/${file}`;
  const texts = splitGrepOutput(sectionText(dump, 'lines') ?? '');
  const links = parseLinkListing(sectionText(dump, 'links') ?? '');
  const pids = new Set<number>();
  for (const name of texts.keys()) {
    const match = /^\/proc\/(\d+)\/stat$/.exec(name);
    if (match) pids.add(Number(match[1]));
  }
  const processes: ProcessSample[] = [];
  for (const pid of [...pids].sort((a, b) => a - b)) {
    const statText = texts.get(`/proc/${pid}/stat`);
    const statusText = texts.get(`/proc/${pid}/status`);
    // A process that ended while the dump ran leaves files missing: it is gone, not broken.
    if (statText === undefined || statusText === undefined) continue;
    const stat = parseStat(statText);
    const status = parseStatus(statusText);
    const cmdline = parseCmdline(sectionBytes(dump, `${pid}/cmdline`) ?? Buffer.alloc(0));
    note(`/proc/${pid}/stat`, stat.problems);
    note(`/proc/${pid}/status`, status.problems);
    processes.push({
      pid,
      stat: stat.value,
      status: status.value,
      cmdline: cmdline.value,
      fdLinks: links.fds.get(pid) ?? [],
      mountNamespace: links.mountNamespaces.get(pid),
      containerId: containerIdOf(texts.get(`/proc/${pid}/cgroup`)),
      cgroupRead: texts.has(`/proc/${pid}/cgroup`),
    });
  }

  const environText = sectionBytes(dump, 'environ');
  const environ = environText === undefined ? undefined : parseEnviron(environText);
  if (environ) note(own('environ'), environ.problems);
  const mountinfoText = texts.get(own('mountinfo'));
  const mountinfo = mountinfoText === undefined ? undefined : parseMountinfo(mountinfoText);
  if (mountinfo) note(own('mountinfo'), mountinfo.problems);
  const cgroupText = texts.get(own('cgroup'));
  const cgroup = cgroupText === undefined ? undefined : parseCgroup(cgroupText);
  if (cgroup) note(own('cgroup'), cgroup.problems);

  const inetSockets: InetSocket[] = [];
  for (const { table, result } of parseInetTables((name) => texts.get(own(`net/${name}`)))) {
    note(`/proc/net/${table}`, result.problems);
    inetSockets.push(...result.value);
  }
  const unixText = texts.get(own('net/unix'));
  const unix = unixText === undefined ? undefined : parseNetUnix(unixText);
  if (unix) note('/proc/net/unix', unix.problems);

  // Scalars name the file each cgroup value and each account file was read from.
  const cgroupFiles = new Map<string, string>();
  const files = new Map<string, string>();
  for (const [key, paths] of dump.values) {
    const text = paths[0] === undefined ? undefined : texts.get(paths[0]);
    if (text === undefined) continue;
    if (key.startsWith('cg:')) cgroupFiles.set(key.slice(3), text.trim());
    else if (key.startsWith('file:')) files.set(key.slice(5), text);
  }
  const version = firstValue(dump, 'cgroup');
  const uidMap = texts.get(own('uid_map'));
  const label = texts.get(own('attr/current'))?.replace(/\0/g, '').trim();
  const pid1Links = parsePid1Links(sectionText(dump, 'pid1links') ?? '', targetPid);

  return {
    selfPid,
    targetPid,
    bootTime: numberOrUndefined(firstValue(dump, 'btime')),
    processes: withoutDescendants(processes, selfPid),
    environ: environ?.value,
    executable: pid1Links.executable,
    workingDirectory: pid1Links.workingDirectory,
    namespaces: pid1Links.namespaces,
    mountinfo: mountinfo?.value,
    cgroup: cgroup?.value,
    securityLabel: label === undefined || label === '' ? undefined : label,
    initialUserNamespace: uidMap === undefined ? undefined : isIdentityMap(uidMap),
    inetSockets,
    unixSockets: unix?.value ?? [],
    cgroupVersion: version === '1' ? 1 : version === '2' ? 2 : undefined,
    cgroupFiles,
    files,
    shells: dump.values.get('shell') ?? [],
    packageManagers: dump.values.get('pkg') ?? [],
    libc: dump.values.get('libc') ?? [],
    topLevel: parseDu(sectionText(dump, 'du') ?? ''),
    ...optionalText('limitsText', texts.get(own('limits'))),
    ...optionalText('routeText', texts.get(own('net/route'))),
    ...optionalText('inet6Text', texts.get(own('net/if_inet6'))),
    problems,
  };
}

/**
 * `stat -c '%N'` of /proc/<pid>/fd/* and /proc/<pid>/ns/mnt: "'/proc/7/fd/3' -> 'socket:[123]'".
 * A link target is text the process chose (a file name can hold a newline), so only lines of
 * the exact shape are taken; a forged line can at worst claim a socket for a process.
 */
export function parseLinkListing(text: string): { fds: Map<number, FdLink[]>; mountNamespaces: Map<number, string> } {
  const fds = new Map<number, FdLink[]>();
  const mountNamespaces = new Map<number, string>();
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    const fd = /^'\/proc\/(\d+)\/fd\/\d+' -> '(.*)'$/.exec(line);
    if (fd) {
      const pid = Number(fd[1]);
      const list = fds.get(pid) ?? [];
      if (!seen.has(line)) list.push({ pid, target: fd[2]! });
      seen.add(line);
      fds.set(pid, list);
      continue;
    }
    const mnt = /^'\/proc\/(\d+)\/ns\/mnt' -> '(mnt:\[\d+\])'$/.exec(line);
    if (mnt) mountNamespaces.set(Number(mnt[1]), mnt[2]!);
  }
  return { fds, mountNamespaces };
}

/** `stat -c '%N'` of /proc/PID/exe, /proc/PID/cwd and /proc/PID/ns/*: "'/proc/1/ns/net' -> 'net:[4026532333]'". */
export function parsePid1Links(text: string, pid = 1): { executable?: string; workingDirectory?: string; namespaces: Map<string, number> } {
  const result: { executable?: string; workingDirectory?: string; namespaces: Map<string, number> } = { namespaces: new Map() };
  const prefix = `'/proc/${pid}/`;
  for (const line of text.split('\n')) {
    if (!line.startsWith(prefix)) continue;
    const rest = line.slice(prefix.length);
    const ns = /^ns\/([a-z_]+)' -> '[a-z_]+:\[(\d+)\]'$/.exec(rest);
    if (ns) {
      result.namespaces.set(ns[1]!, Number(ns[2]));
      continue;
    }
    const link = /^(exe|cwd)' -> '(.*)'$/.exec(rest);
    if (link && link[2] !== '') {
      if (link[1] === 'exe') result.executable = link[2]!;
      else result.workingDirectory = link[2]!;
    }
  }
  return result;
}

/** "0 0 4294967295": every uid maps to itself, which only the initial user namespace has. */
export function isIdentityMap(text: string): boolean {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.length === 1 && /^\s*0\s+0\s+4294967295\s*$/.test(lines[0]!);
}

/** `du -sk` lines under /proc/<pid>/root: "<kilobytes>\t/proc/1/root/<name>". Largest first. */
export function parseDu(text: string): Array<{ name: string; kilobytes: number }> {
  const entries: Array<{ name: string; kilobytes: number }> = [];
  for (const line of text.split('\n')) {
    const match = /^(\d+)\t\/proc\/\d+\/root\/(.+)$/.exec(line);
    if (match) entries.push({ name: `/${match[2]!}`, kilobytes: Number(match[1]) });
  }
  return entries.sort((a, b) => b.kilobytes - a.kilobytes || a.name.localeCompare(b.name));
}

/**
 * A container ID named by a process's cgroup file (the last one on the first line naming
 * any: nested engines name their parents first); undefined for a process in no container's.
 */
export function containerIdOf(cgroupText: string | undefined): string | undefined {
  if (cgroupText === undefined) return undefined;
  for (const line of cgroupText.split('\n')) {
    const ids = line.match(/[0-9a-f]{64}/g);
    if (ids) return ids[ids.length - 1];
  }
  return undefined;
}

/**
 * The dumping shell, everything it started (base64, ls…) and its init (the shell's parent,
 * when it has one in this namespace) are not the target's processes.
 */
function withoutDescendants(processes: ProcessSample[], selfPid: number | undefined): ProcessSample[] {
  if (selfPid === undefined) return processes;
  const parent = new Map(processes.map((process) => [process.pid, process.stat.ppid ?? process.status.ppid]));
  const init = parent.get(selfPid);
  const ours = (pid: number): boolean => {
    let current: number | undefined = pid;
    for (let hops = 0; current !== undefined && current > 0 && hops < 4096; hops += 1) {
      if (current === selfPid) return true;
      current = parent.get(current);
    }
    return false;
  };
  return processes.filter((process) => !ours(process.pid) && !(init !== undefined && init > 0 && process.pid === init));
}

function optionalText<K extends string>(key: K, text: string | undefined): Partial<Record<K, string>> {
  return text === undefined ? {} : ({ [key]: text } as Partial<Record<K, string>>);
}

function numberOrUndefined(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text.trim())) return undefined;
  return Number(text.trim());
}
