/**
 * This process as a client (client-id.ts), read from the machine it runs on. Reads a few small
 * files once, synchronously: labels are made on the path of every session start.
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { startTimeFromStat, UNKNOWN_PART, type ClientHost, type ClientId, type StatReading } from './client-id.js';

let cached: ClientId | undefined;

export function localClientId(): ClientId {
  cached ??= { ...localClientHost(), pid: process.pid, startTime: ownStartTime() };
  return cached;
}

export function localClientHost(): ClientHost {
  if (cached) return { machine: cached.machine, boot: cached.boot, pidNamespace: cached.pidNamespace };
  return { machine: machineHash(), boot: bootHash(), pidNamespace: pidNamespaceInode() };
}

export function readProcStat(pid: number): StatReading {
  try {
    return { stat: readFileSync(`/proc/${pid}/stat`, 'utf8') };
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : 'unreadable';
  }
}

function readTrimmed(path: string): string | undefined {
  try {
    const text = readFileSync(path, 'utf8').trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

/**
 * The machine id is meant to stay private: what leaves the machine is an HMAC keyed by it
 * (systemd's advice for application-specific ids). Without one, the host name stands in.
 */
function machineHash(): string {
  const id = readTrimmed('/etc/machine-id') ?? readTrimmed('/var/lib/dbus/machine-id');
  const source = id ?? `hostname:${hostname()}`;
  return createHmac('sha256', source).update('io.sidekick.client').digest('hex').slice(0, 16);
}

function bootHash(): string {
  const id = readTrimmed('/proc/sys/kernel/random/boot_id');
  return id === undefined ? UNKNOWN_PART : createHash('sha256').update(id).digest('hex').slice(0, 12);
}

function pidNamespaceInode(): string {
  try {
    return /^pid:\[([0-9]+)\]$/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? UNKNOWN_PART;
  } catch {
    return UNKNOWN_PART;
  }
}

function ownStartTime(): string {
  const reading = readProcStat(process.pid);
  return (typeof reading === 'object' ? startTimeFromStat(reading.stat) : undefined) ?? UNKNOWN_PART;
}
