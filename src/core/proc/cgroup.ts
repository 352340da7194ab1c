import { parseDecimal } from './numbers.js';
import { type ParseResult, type ProblemLog, type ProcInput, parseSafely, quote } from './parse-result.js';
import { splitLines, toText } from './text.js';

/** One line of /proc/<pid>/cgroup: "hierarchy-id:controllers:path". */
export interface CgroupEntry {
  hierarchyId: number;
  /** Empty for the unified (v2) hierarchy; "name=systemd" style names are kept as they are. */
  controllers: string[];
  path: string;
  version: 1 | 2;
}

export function parseCgroup(input: ProcInput): ParseResult<CgroupEntry[]> {
  return parseSafely('cgroup', (log) => readCgroups(toText(input, log), log), () => []);
}

function readCgroups(text: string, log: ProblemLog): CgroupEntry[] {
  const entries: CgroupEntry[] = [];
  splitLines(text).forEach((line, index) => {
    if (line.trim() === '') return;
    const entry = readEntry(line);
    if (entry === undefined) log.atLine(index + 1, `not a cgroup line: ${quote(line)}`);
    else entries.push(entry);
  });
  return entries;
}

// The path is everything after the second ':', as a cgroup name may itself hold ':'.
function readEntry(line: string): CgroupEntry | undefined {
  const first = line.indexOf(':');
  const second = line.indexOf(':', first + 1);
  if (first < 0 || second < 0) return undefined;
  const hierarchyId = parseDecimal(line.slice(0, first));
  const controllerList = line.slice(first + 1, second);
  const path = line.slice(second + 1);
  if (hierarchyId === undefined || !path.startsWith('/')) return undefined;
  const controllers = controllerList === '' ? [] : controllerList.split(',');
  const version = hierarchyId === 0 && controllers.length === 0 ? 2 : 1;
  return { hierarchyId, controllers, path, version };
}
