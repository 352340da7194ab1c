/** `sidekick ps`: the target's processes as a tree, from a /proc sample. Pure. */
import type { Accounts } from './accounts.js';
import type { ProcessSample } from './decode-dump.js';
import { startTimeIso, USER_HZ } from './inspect-report.js';

export interface ProcessRow {
  pid: number;
  ppid: number;
  /** Depth in the tree, for indenting the command. */
  depth: number;
  uid: number | null;
  user: string | null;
  state: string | null;
  stateName: string | null;
  rssBytes: number | null;
  threads: number | null;
  /** CPU time used, user and kernel together, in seconds. */
  cpuSeconds: number | null;
  startTime: string | null;
  command: string[];
  /** The process name the kernel keeps (comm), for processes without a command line. */
  name: string | null;
  /** false for processes of another mount namespace than the target's own process: a sidekick's or another container's. */
  inTargetRoot: boolean;
  /**
   * Whose process it is, by the cgroup the kernel put it in: the target's, another
   * container's that shares the PID namespace (a sidekick's included), or unknown.
   */
  owner: ProcessOwner;
}

export type ProcessOwner =
  | { kind: 'target' }
  | { kind: 'container'; id: string; name: string | null; sidekick: boolean }
  /** In no container's cgroup: the engine host's own (a target with the host's PID namespace sees them). */
  | { kind: 'host' }
  | { kind: 'unknown' };

/** What the tree needs to tell the target's processes from its neighbours'. */
export interface Ownership {
  /** The target's own process (1 unless its PID namespace is shared). */
  targetPid: number;
  targetId: string;
  /** Names of other containers, and whether each is one of sidekick's. */
  containers: ReadonlyMap<string, { name: string; sidekick: boolean }>;
}

export function processTree(processes: readonly ProcessSample[], accounts: Accounts, bootTime: number | undefined, ownership?: Ownership): ProcessRow[] {
  const byPid = new Map(processes.map((process) => [process.pid, process]));
  const rootNamespace = byPid.get(ownership?.targetPid ?? 1)?.mountNamespace;
  const children = new Map<number, ProcessSample[]>();
  const roots: ProcessSample[] = [];
  for (const process of processes) {
    const ppid = parentOf(process);
    // A process that joined the namespace from outside (docker exec, a sidekick) has ppid 0 here.
    if (ppid !== process.pid && byPid.has(ppid)) {
      const siblings = children.get(ppid);
      if (siblings) siblings.push(process);
      else children.set(ppid, [process]);
    } else roots.push(process);
  }
  const rows: ProcessRow[] = [];
  const seen = new Set<number>();
  // Depth-first with an explicit stack: a hostile target can fork a chain deeper than the call stack.
  const visit = (start: ProcessSample): void => {
    const stack: Array<{ process: ProcessSample; depth: number }> = [{ process: start, depth: 0 }];
    while (stack.length > 0) {
      const { process, depth } = stack.pop()!;
      if (seen.has(process.pid)) continue;
      seen.add(process.pid);
      rows.push(toRow(process, depth, accounts, bootTime, rootNamespace, ownerOf(process, ownership)));
      const kids = (children.get(process.pid) ?? []).sort((a, b) => b.pid - a.pid);
      for (const child of kids) stack.push({ process: child, depth: depth + 1 });
    }
  };
  for (const root of roots.sort((a, b) => a.pid - b.pid)) visit(root);
  // A cycle in hostile or racy data would leave processes unreached; list them rather than drop them.
  for (const process of processes) visit(process);
  return rows;
}

function parentOf(process: ProcessSample): number {
  return process.stat.ppid ?? process.status.ppid ?? 0;
}

function ownerOf(process: ProcessSample, ownership: Ownership | undefined): ProcessOwner {
  if (ownership === undefined || process.cgroupRead === false) return { kind: 'unknown' };
  if (process.containerId === undefined) return { kind: 'host' };
  if (process.containerId === ownership.targetId) return { kind: 'target' };
  const other = ownership.containers.get(process.containerId);
  return { kind: 'container', id: process.containerId, name: other?.name ?? null, sidekick: other?.sidekick ?? false };
}

function toRow(
  process: ProcessSample,
  depth: number,
  accounts: Accounts,
  bootTime: number | undefined,
  rootNamespace: string | undefined,
  owner: ProcessOwner,
): ProcessRow {
  const uid = process.status.uid?.real ?? null;
  const state = process.stat.state ?? process.status.state;
  const rssPages = process.stat.rssPages;
  return {
    pid: process.pid,
    ppid: parentOf(process),
    depth,
    uid,
    user: uid === null ? null : (accounts.users.get(uid) ?? null),
    state: state?.code ?? null,
    stateName: state?.name ?? null,
    // status's VmRSS is in bytes already; stat's rss is in pages (4 KiB on the platforms docker runs on).
    rssBytes: process.status.vmRssBytes ?? (rssPages === undefined ? null : rssPages * 4096),
    threads: process.status.threads ?? process.stat.numThreads ?? null,
    cpuSeconds: process.stat.userTicks === undefined || process.stat.systemTicks === undefined ? null : (process.stat.userTicks + process.stat.systemTicks) / USER_HZ,
    startTime: startTimeIso(process, bootTime),
    command: process.cmdline,
    name: process.status.name ?? process.stat.comm ?? null,
    inTargetRoot: rootNamespace === undefined || process.mountNamespace === undefined || process.mountNamespace === rootNamespace,
    owner,
  };
}
