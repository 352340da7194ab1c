import type { ProcessRow } from '../debug/process-tree.js';
import { formatBytes, table, terminalSafe as s } from './terminal-safe.js';

export function formatPs(rows: readonly ProcessRow[]): string {
  const body = rows.map((row) => [
    String(row.pid),
    String(row.ppid),
    s(row.user ?? (row.uid === null ? '?' : String(row.uid))),
    row.state ?? '?',
    row.rssBytes === null ? '-' : formatBytes(row.rssBytes),
    row.threads === null ? '?' : String(row.threads),
    row.startTime === null ? '?' : row.startTime.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    `${'  '.repeat(row.depth)}${row.depth > 0 ? '\\_ ' : ''}${s(row.command.length > 0 ? row.command.join(' ') : `[${row.name ?? '?'}]`)}${row.inTargetRoot ? '' : '  (joined from another container)'}`,
  ]);
  return `${table([['PID', 'PPID', 'USER', 'S', 'RSS', 'THR', 'STARTED', 'COMMAND'], ...body])}\n`;
}
