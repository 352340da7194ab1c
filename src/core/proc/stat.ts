import { parseDecimal, parseDecimalU64 } from './numbers.js';
import { type ParseResult, type ProblemLog, type ProcInput, parseSafely, quote } from './parse-result.js';
import { type ProcessState, processState } from './process-state.js';
import { toText } from './text.js';

/** The fields of /proc/<pid>/stat that sidekick uses. */
export interface ProcStat {
  pid?: number;
  comm?: string;
  state?: ProcessState;
  ppid?: number;
  numThreads?: number;
  /** Clock ticks after boot; with the pid, identifies a process across pid reuse. */
  startTimeTicks?: bigint;
  rssPages?: number;
  /** CPU time in user and kernel mode, in clock ticks (USER_HZ). */
  userTicks?: number;
  systemTicks?: number;
}

// Positions after the ')' that closes comm: field 3 (state) of proc(5) is position 0.
const STATE = 0;
const PPID = 1;
const UTIME = 11;
const STIME = 12;
const NUM_THREADS = 17;
const START_TIME = 19;
const RSS = 21;

export function parseStat(input: ProcInput): ParseResult<ProcStat> {
  return parseSafely('stat', (log) => readStat(toText(input, log), log), () => ({}));
}

// comm is whatever the process named itself: it can hold spaces, '(' and ')', so it ends
// at the LAST ')'. That only holds when the line is whole: in a line cut short the last
// ')' may sit inside comm, so a short line yields the pid and nothing after it.
function readStat(text: string, log: ProblemLog): ProcStat {
  const line = text.replace(/\r?\n$/, '');
  const open = line.indexOf(' (');
  if (open < 0) {
    if (line.trim() !== '') log.add('no "pid (comm)" at the start of the line');
    else log.add('empty stat');
    return {};
  }
  const stat: ProcStat = {};
  readField(stat, 'pid', line.slice(0, open), parseDecimal, log);
  const close = line.lastIndexOf(')');
  const fields = close > open ? line.slice(close + 1).trim().split(/ +/) : [];
  if (fields.length <= RSS) {
    log.add(`the line is cut short (${fields.length} fields after comm); only the pid is kept`);
    return stat;
  }
  stat.comm = line.slice(open + 2, close);
  readField(stat, 'state', fields[STATE], (raw) => processState(raw ?? ''), log);
  readField(stat, 'ppid', fields[PPID], parseDecimal, log);
  readField(stat, 'userTicks', fields[UTIME], parseDecimal, log);
  readField(stat, 'systemTicks', fields[STIME], parseDecimal, log);
  readField(stat, 'numThreads', fields[NUM_THREADS], parseDecimal, log);
  readField(stat, 'startTimeTicks', fields[START_TIME], parseDecimalU64, log);
  readField(stat, 'rssPages', fields[RSS], parseDecimal, log);
  return stat;
}

function readField<K extends keyof ProcStat>(
  stat: ProcStat,
  key: K,
  raw: string | undefined,
  parse: (raw: string | undefined) => ProcStat[K] | undefined,
  log: ProblemLog,
): void {
  const value = parse(raw);
  if (value === undefined) log.add(`cannot read ${key}: ${quote(raw ?? '')}`);
  else stat[key] = value;
}
