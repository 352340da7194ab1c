/**
 * Facts an on-call engineer asks for first, from /proc text a sidekick read: resource limits,
 * open files, routes and addresses. Pure; every input is the target's and may be odd.
 */
import type { FdLink } from '../core/proc/index.js';

export interface ResourceLimit {
  /** A number, or "unlimited". */
  soft: string;
  hard: string;
}

/** /proc/PID/limits rows by their setrlimit names ("nofile", "nproc"…). */
const LIMIT_NAMES: Record<string, string> = {
  'Max cpu time': 'cpu',
  'Max file size': 'fsize',
  'Max data size': 'data',
  'Max stack size': 'stack',
  'Max core file size': 'core',
  'Max resident set': 'rss',
  'Max processes': 'nproc',
  'Max open files': 'nofile',
  'Max locked memory': 'memlock',
  'Max address space': 'as',
  'Max file locks': 'locks',
  'Max pending signals': 'sigpending',
  'Max msgqueue size': 'msgqueue',
  'Max nice priority': 'nice',
  'Max realtime priority': 'rtprio',
  'Max realtime timeout': 'rttime',
};

export function parseLimits(text: string): Record<string, ResourceLimit> {
  const limits: Record<string, ResourceLimit> = {};
  for (const line of text.split('\n')) {
    const match = /^(Max [A-Za-z ]+?)\s{2,}(\d+|unlimited)\s+(\d+|unlimited)(?:\s+\S+)?\s*$/.exec(line);
    const name = match ? LIMIT_NAMES[match[1]!] : undefined;
    if (match && name) limits[name] = { soft: match[2]!, hard: match[3]! };
  }
  return limits;
}

export interface OpenFiles {
  pid: number;
  name: string;
  count: number;
  sockets: number;
  pipes: number;
  regularFiles: number;
  /** Files deleted while still open (they hold their disk space until closed); the first few. */
  deleted: string[];
}

const MAX_DELETED_SHOWN = 10;

/** What each process holds open, from its /proc/PID/fd links. */
export function openFilesOf(processes: ReadonlyArray<{ pid: number; name: string; fdLinks: readonly FdLink[] }>): OpenFiles[] {
  return processes.map(({ pid, name, fdLinks }) => {
    const files: OpenFiles = { pid, name, count: fdLinks.length, sockets: 0, pipes: 0, regularFiles: 0, deleted: [] };
    for (const { target } of fdLinks) {
      if (target.startsWith('socket:[')) files.sockets += 1;
      else if (target.startsWith('pipe:[')) files.pipes += 1;
      else if (target.startsWith('/') && !target.startsWith('/dev/')) {
        files.regularFiles += 1;
        if (target.endsWith(' (deleted)') && files.deleted.length < MAX_DELETED_SHOWN) files.deleted.push(target.slice(0, -' (deleted)'.length));
      }
    }
    return files;
  });
}

export interface Route {
  /** "default" or a CIDR. */
  destination: string;
  gateway: string | null;
  interface: string;
}

/** /proc/net/route: IPv4 routes, addresses in little-endian hex. */
export function parseRoutes(text: string): Route[] {
  const routes: Route[] = [];
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const [iface, destination, gateway, flags, , , , mask] = fields;
    const up = (parseInt(flags!, 16) & 0x1) !== 0;
    const destinationAddress = hexToIpv4(destination!);
    const maskAddress = hexToIpv4(mask!);
    if (!up || destinationAddress === undefined || maskAddress === undefined) continue;
    const prefix = maskBits(mask!);
    const gatewayAddress = hexToIpv4(gateway!);
    routes.push({
      destination: prefix === 0 && destinationAddress === '0.0.0.0' ? 'default' : `${destinationAddress}/${prefix}`,
      gateway: gatewayAddress === undefined || gatewayAddress === '0.0.0.0' ? null : gatewayAddress,
      interface: iface!,
    });
  }
  return routes;
}

/** /proc/net/if_inet6: "address(32 hex) index prefix scope flags name"; loopback and link-local left out. */
export function parseInet6(text: string): Array<{ address: string; interface: string }> {
  const addresses: Array<{ address: string; interface: string }> = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 6 || !/^[0-9a-f]{32}$/.test(fields[0]!)) continue;
    const scope = parseInt(fields[3]!, 16);
    if (scope !== 0) continue; // global only
    const groups = fields[0]!.match(/.{4}/g)!.map((group) => group.replace(/^0+(?=.)/, ''));
    addresses.push({ address: `${groups.join(':')}/${parseInt(fields[2]!, 16)}`, interface: fields[5]! });
  }
  return addresses;
}

function hexToIpv4(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const value = parseInt(hex, 16);
  return [value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff].join('.');
}

function maskBits(hex: string): number {
  let value = parseInt(hex, 16) >>> 0;
  let bits = 0;
  while (value) {
    bits += value & 1;
    value >>>= 1;
  }
  return bits;
}
