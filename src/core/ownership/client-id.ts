/**
 * Who created an object: the CLI process, named so that it can be checked later from the same
 * machine. A pid alone can be reused; a pid with its start time (field 22 of /proc/<pid>/stat)
 * cannot, within one boot and one PID namespace. The label reads
 * `<machine>.<boot>.<pid namespace>/<pid>/<start time>`; a part that could not be read is "0".
 */

export interface ClientHost {
  /** An app-specific hash of the machine id (never the machine id itself). */
  machine: string;
  /** A hash of the kernel's boot id: start times count from boot. */
  boot: string;
  /** The inode of the PID namespace: the same pid means the same process only in the same one. */
  pidNamespace: string;
}

export interface ClientId extends ClientHost {
  pid: number;
  /** Clock ticks since boot when the process started, as /proc shows it; "0" when unknown. */
  startTime: string;
}

export const UNKNOWN_PART = '0';
const PART = /^[0-9a-z]{1,64}$/;

export function formatClientId(client: ClientId): string {
  return `${client.machine}.${client.boot}.${client.pidNamespace}/${client.pid}/${client.startTime}`;
}

export function parseClientId(text: string | undefined): ClientId | undefined {
  if (text === undefined) return undefined;
  const match = /^([^./]+)\.([^./]+)\.([^./]+)\/([1-9][0-9]{0,9})\/([0-9]{1,20})$/.exec(text);
  if (!match) return undefined;
  const [, machine, boot, pidNamespace, pid, startTime] = match as unknown as [string, string, string, string, string, string];
  if (![machine, boot, pidNamespace].every((part) => PART.test(part))) return undefined;
  return { machine, boot, pidNamespace, pid: Number(pid), startTime };
}

/**
 * Field 22 (starttime) of a /proc/<pid>/stat line. Field 2 (comm) is in parentheses and may
 * itself hold spaces and ')', so fields are counted after the last ')'.
 */
export function startTimeFromStat(stat: string): string | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const value = stat.slice(close + 2).split(' ')[19];
  return value !== undefined && /^[0-9]+$/.test(value) ? value : undefined;
}

/** What /proc/<pid>/stat says on this machine: its text, or that there is no such process. */
export type StatReading = { stat: string } | 'gone' | 'unreadable';

export type ClientLiveness =
  | { state: 'alive'; pid: number }
  | { state: 'dead'; pid: number; reason: string }
  | { state: 'unknown'; reason: string };

/**
 * Whether the client that made an object still runs, as far as this process (`local`) can
 * tell. Only a client in this boot and this PID namespace of this machine can be checked.
 */
export function clientLiveness(label: string | undefined, local: ClientHost, readStat: (pid: number) => StatReading): ClientLiveness {
  const client = parseClientId(label);
  if (client === undefined) return { state: 'unknown', reason: label === undefined ? 'no client recorded' : 'unreadable client label' };
  const known = (a: string, b: string): boolean => a !== UNKNOWN_PART && b !== UNKNOWN_PART;
  if (!known(client.machine, local.machine) || client.machine !== local.machine) {
    return { state: 'unknown', reason: 'client on another machine' };
  }
  if (known(client.boot, local.boot) && client.boot !== local.boot) {
    return { state: 'dead', pid: client.pid, reason: `client pid ${client.pid} ran before this machine last booted` };
  }
  if (!known(client.boot, local.boot) || !known(client.pidNamespace, local.pidNamespace) || client.pidNamespace !== local.pidNamespace) {
    return { state: 'unknown', reason: 'client in another PID namespace (a container?) on this machine' };
  }
  const reading = readStat(client.pid);
  if (reading === 'gone') return { state: 'dead', pid: client.pid, reason: `client pid ${client.pid} is gone` };
  if (reading === 'unreadable' || client.startTime === UNKNOWN_PART) return { state: 'unknown', reason: `client pid ${client.pid} cannot be checked` };
  const started = startTimeFromStat(reading.stat);
  if (started === undefined) return { state: 'unknown', reason: `client pid ${client.pid} cannot be checked` };
  if (started !== client.startTime) return { state: 'dead', pid: client.pid, reason: `client pid ${client.pid} is gone (the pid is another process now)` };
  return { state: 'alive', pid: client.pid };
}
