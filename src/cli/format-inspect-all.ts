import type { ContainerRow } from '../debug/inspect-all.js';
import { table, terminalSafe as s } from './terminal-safe.js';

export function formatInspectAll(rows: readonly ContainerRow[]): string {
  if (rows.length === 0) return 'no running containers\n';
  const body = rows.map((row) => [
    s(row.name),
    s(row.image),
    s(row.user ?? '?'),
    row.shell ?? 'no',
    row.privileged ? 'PRIVILEGED' : row.extraCapabilities.join(',') || '-',
    row.listening.join(' ') || '-',
    Object.entries(row.sharedNamespaces)
      .map(([kind, names]) => `${kind}:${names.map(s).join('+')}`)
      .join(' ') || '-',
  ]);
  return `${table([['NAME', 'IMAGE', 'USER', 'SHELL', 'EXTRA CAPS', 'LISTENING', 'SHARED NAMESPACES'], ...body])}\n`;
}
