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

/** Rows of several engines: an ENGINE column first; an engine that could not be read is a line of its own saying why. */
export function formatInspectEngines(rows: ReadonlyArray<{ engine: string } & (ContainerRow | { error: string })>, engines: readonly string[] = []): string {
  const width = Math.max('ENGINE'.length, ...[...rows.map((row) => row.engine), ...engines].map((engine) => s(engine).length));
  const good = rows.filter((row): row is { engine: string } & ContainerRow => !('error' in row));
  const lines = formatInspectAll(good)
    .trimEnd()
    .split('\n');
  const [header, ...body] = good.length === 0 ? ['NAME'] : lines;
  const out = [`${'ENGINE'.padEnd(width)}  ${header}`];
  let next = 0;
  for (const row of rows) {
    if ('error' in row) out.push(`${s(row.engine).padEnd(width)}  error: ${s(row.error)}`);
    else out.push(`${s(row.engine).padEnd(width)}  ${body[next++]}`);
  }
  for (const engine of engines) if (!rows.some((row) => row.engine === engine)) out.push(`${s(engine).padEnd(width)}  no running containers`);
  return `${out.join('\n')}\n`;
}
