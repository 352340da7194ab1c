import { parseDecimal } from './numbers.js';
import { type ParseResult, type ProblemLog, parseSafely, quote } from './parse-result.js';

/** The target of one /proc/<pid>/fd/<n> link, as readlink returned it. */
export interface FdLink {
  pid: number;
  target: string;
}

const SOCKET_LINK = /^socket:\[([0-9]+)\]$/;

/** The inode of a "socket:[12345]" link target; undefined for files, pipes and the rest. */
export function socketInodeFromLink(target: string): number | undefined {
  const match = SOCKET_LINK.exec(typeof target === 'string' ? target.trim() : '');
  return parseDecimal(match?.[1]);
}

/**
 * Socket inode to the pids holding it (sorted, each once): joins /proc/net/* entries,
 * which name inodes, with processes, which hold file descriptors.
 */
export function mapSocketInodesToPids(links: Iterable<FdLink>): ParseResult<Map<number, number[]>> {
  return parseSafely('fd links', (log) => collectOwners(links, log), () => new Map());
}

function collectOwners(links: Iterable<FdLink>, log: ProblemLog): Map<number, number[]> {
  const owners = new Map<number, Set<number>>();
  for (const { pid, target } of links) {
    const inode = socketInodeFromLink(target);
    if (inode === undefined) {
      if (String(target).trim().startsWith('socket:')) log.add(`cannot read socket link ${quote(String(target))}`);
      continue;
    }
    if (!Number.isSafeInteger(pid) || pid <= 0) {
      log.add(`not a pid: ${quote(String(pid))}`);
      continue;
    }
    const pids = owners.get(inode) ?? new Set<number>();
    owners.set(inode, pids.add(pid));
  }
  return new Map([...owners].map(([inode, pids]) => [inode, [...pids].sort((a, b) => a - b)]));
}
