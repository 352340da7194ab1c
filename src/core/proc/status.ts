import { parseDecimal, parseHexU64, parseU32 } from './numbers.js';
import { type ParseResult, type ProblemLog, type ProcInput, parseSafely, quote } from './parse-result.js';
import { type ProcessState, processState } from './process-state.js';
import { splitLines, toText } from './text.js';

/** Real, effective, saved set and filesystem ids, in the order the kernel prints them. */
export interface IdSet {
  real: number;
  effective: number;
  savedSet: number;
  filesystem: number;
}

export interface CapabilitySets {
  inheritable?: bigint;
  permitted?: bigint;
  effective?: bigint;
  bounding?: bigint;
  ambient?: bigint;
}

export type SeccompMode = 'disabled' | 'strict' | 'filter';

/** /proc/<pid>/status. A field the file lacks (or that could not be read) is absent. */
export interface ProcStatus {
  name?: string;
  state?: ProcessState;
  pid?: number;
  ppid?: number;
  /** Non-zero when a debugger already traces the process; only one tracer can attach. */
  tracerPid?: number;
  uid?: IdSet;
  gid?: IdSet;
  groups?: number[];
  threads?: number;
  /** Absent for kernel threads, which have no memory of their own. */
  vmRssBytes?: number;
  capabilities: CapabilitySets;
  noNewPrivs?: boolean;
  seccomp?: SeccompMode;
}

// Present in every kernel sidekick can meet; the rest came later or depend on the config.
const REQUIRED_FIELDS = ['Name', 'State', 'Pid', 'PPid', 'Uid', 'Gid', 'Threads', 'CapInh', 'CapPrm', 'CapEff', 'CapBnd'];

type FieldReader = (value: string, status: ProcStatus) => boolean;

const FIELD_READERS: ReadonlyMap<string, FieldReader> = new Map<string, FieldReader>([
  ['Name', readName],
  ['State', (value, status) => assign(status, 'state', processState(value.charAt(0)))],
  ['Pid', (value, status) => assign(status, 'pid', parseDecimal(value))],
  ['PPid', (value, status) => assign(status, 'ppid', parseDecimal(value))],
  ['TracerPid', (value, status) => assign(status, 'tracerPid', parseDecimal(value))],
  ['Uid', (value, status) => assign(status, 'uid', parseIdSet(value))],
  ['Gid', (value, status) => assign(status, 'gid', parseIdSet(value))],
  ['Groups', (value, status) => assign(status, 'groups', parseGroups(value))],
  ['Threads', (value, status) => assign(status, 'threads', parseDecimal(value))],
  ['VmRSS', (value, status) => assign(status, 'vmRssBytes', parseKilobytes(value))],
  ['CapInh', (value, status) => assignCapability(status, 'inheritable', value)],
  ['CapPrm', (value, status) => assignCapability(status, 'permitted', value)],
  ['CapEff', (value, status) => assignCapability(status, 'effective', value)],
  ['CapBnd', (value, status) => assignCapability(status, 'bounding', value)],
  ['CapAmb', (value, status) => assignCapability(status, 'ambient', value)],
  ['NoNewPrivs', (value, status) => assign(status, 'noNewPrivs', parseFlag(value))],
  ['Seccomp', (value, status) => assign(status, 'seccomp', parseSeccomp(value))],
]);

export function parseStatus(input: ProcInput): ParseResult<ProcStatus> {
  return parseSafely('status', (log) => readStatus(toText(input, log), log), () => ({ capabilities: {} }));
}

function readStatus(text: string, log: ProblemLog): ProcStatus {
  const status: ProcStatus = { capabilities: {} };
  const seen = new Set<string>();
  splitLines(text).forEach((line, index) => readLine(line, index + 1, status, seen, log));
  for (const key of REQUIRED_FIELDS) if (!seen.has(key)) log.add(`missing field ${key}`);
  return status;
}

function readLine(line: string, lineNumber: number, status: ProcStatus, seen: Set<string>, log: ProblemLog): void {
  if (line.trim() === '') return;
  const colon = line.indexOf(':');
  if (colon <= 0) {
    log.atLine(lineNumber, `not a "Key: value" line: ${quote(line)}`);
    return;
  }
  const key = line.slice(0, colon);
  const reader = FIELD_READERS.get(key);
  if (reader === undefined) return;
  if (seen.has(key)) {
    log.atLine(lineNumber, `${key} repeated; keeping the first`);
    return;
  }
  seen.add(key);
  const value = line.slice(colon + 1);
  if (!reader(key === 'Name' ? value : value.trim(), status)) {
    log.atLine(lineNumber, `cannot read ${key}: ${quote(value.trim())}`);
  }
}

function assign<K extends keyof ProcStatus>(status: ProcStatus, key: K, value: ProcStatus[K] | undefined): boolean {
  if (value === undefined) return false;
  status[key] = value;
  return true;
}

function assignCapability(status: ProcStatus, key: keyof CapabilitySets, value: string): boolean {
  const mask = parseHexU64(value);
  if (mask === undefined) return false;
  status.capabilities[key] = mask;
  return true;
}

// The kernel writes "Name:\t<comm>" and escapes only newline and backslash in comm, so a
// comm may begin or end with spaces or tabs: strip the one separator tab, nothing more.
function readName(value: string, status: ProcStatus): boolean {
  const raw = value.startsWith('\t') ? value.slice(1) : value;
  status.name = raw.replace(/\\(n|\\)/g, (_escape, char: string) => (char === 'n' ? '\n' : '\\'));
  return true;
}

function parseIdSet(value: string): IdSet | undefined {
  const ids = value.split(/\s+/).map(parseU32);
  const [real, effective, savedSet, filesystem] = ids;
  if (ids.length !== 4 || real === undefined || effective === undefined) return undefined;
  if (savedSet === undefined || filesystem === undefined) return undefined;
  return { real, effective, savedSet, filesystem };
}

function parseGroups(value: string): number[] | undefined {
  if (value === '') return [];
  const groups = value.split(/\s+/).map(parseU32);
  return groups.every((gid) => gid !== undefined) ? (groups as number[]) : undefined;
}

function parseKilobytes(value: string): number | undefined {
  const match = /^([0-9]+) kB$/.exec(value);
  const kilobytes = parseDecimal(match?.[1]);
  if (kilobytes === undefined) return undefined;
  const bytes = kilobytes * 1024;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

function parseFlag(value: string): boolean | undefined {
  if (value === '0') return false;
  if (value === '1') return true;
  return undefined;
}

function parseSeccomp(value: string): SeccompMode | undefined {
  return (['disabled', 'strict', 'filter'] as const)[parseDecimal(value) ?? -1];
}
