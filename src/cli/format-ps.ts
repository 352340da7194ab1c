import type { ProcessRow } from '../debug/process-tree.js';
import { formatBytes, table, terminalSafe as s } from './terminal-safe.js';
import { shortId } from '../core/short-id.js';

export function formatPs(rows: readonly ProcessRow[]): string {
  const body = rows.map((row) => [
    String(row.pid),
    String(row.ppid),
    s(row.user ?? (row.uid === null ? '?' : String(row.uid))),
    row.state ?? '?',
    row.rssBytes === null ? '-' : formatBytes(row.rssBytes),
    row.threads === null ? '?' : String(row.threads),
    row.cpuSeconds === null ? '?' : cpuTime(row.cpuSeconds),
    row.startTime === null ? '?' : row.startTime.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    `${'  '.repeat(row.depth)}${row.depth > 0 ? '\\_ ' : ''}${s(row.command.length > 0 ? row.command.join(' ') : `[${row.name ?? '?'}]`)}${ownerNote(row)}`,
  ]);
  return `${table([['PID', 'PPID', 'USER', 'S', 'RSS', 'THR', 'TIME', 'STARTED', 'COMMAND'], ...body])}\n`;
}

/** "0:01.25", "12:03.00", "3:04:05": CPU time as ps(1) writes it, with hundredths below an hour. */
export function cpuTime(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, '0')}:${String(Math.floor(rest)).padStart(2, '0')}`;
  return `${minutes}:${rest.toFixed(2).padStart(5, '0')}`;
}

/** Processes that are not the target's own say whose they are: in a shared PID namespace that is most of them. */
function ownerNote(row: ProcessRow): string {
  const owner = row.owner;
  if (owner.kind === 'container') {
    const name = s(owner.name ?? shortId(owner.id));
    return owner.sidekick ? `  [sidekick ${name}]` : `  [container ${name}]`;
  }
  if (owner.kind === 'host') return '  [host]';
  if (owner.kind === 'unknown' && !row.inTargetRoot) return '  (joined from another container)';
  return '';
}
