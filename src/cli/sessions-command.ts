import { listSessions, type SessionContainer, type SessionsReport } from '../debug/sessions.js';
import { table, terminalSafe } from './terminal-safe.js';
import { connectListingEngine, type GlobalFlags } from './engine-from-flags.js';
import { parseFormat, renderRows } from './output-format.js';
import { shortId } from '../core/short-id.js';

export interface SessionsFlags {
  /** -A: every namespace of the cluster. */
  allNamespaces?: boolean;
  json?: boolean;
  /** table (default), json (a line per row) or a template (output-format.ts). */
  format?: string;
  /** -q: the IDs of the session containers only. */
  quiet?: boolean;
  /** --no-trunc: whole IDs. */
  trunc?: boolean;
}

/** One row of the listing, as --format sees it: a session container or an injection. */
export interface SessionRow {
  Kind: string;
  /** The session, or where an injection is (its prefix, or "/"). */
  Session: string;
  ID: string;
  Name: string;
  Target: string;
  Status: string;
  Client: string;
  Created: string;
}

export async function runSessions(flags: SessionsFlags, global: GlobalFlags): Promise<number> {
  const format = parseFormat(flags.format);
  const { engine, kind } = await connectListingEngine(global, { allNamespaces: flags.allNamespaces === true });
  try {
    // On a cluster, reading the containers' files would add a sidekick to every pod: injections are not looked for.
    const report = await listSessions(engine, { injections: kind === 'docker' });
    if (report.unanswered.length > 0 && !flags.json) {
      const names = report.unanswered.map((c) => c.containerName || shortId(c.containerId)).join(', ');
      process.stderr.write(`sidekick: the engine did not answer about ${terminalSafe(names)} in time; injections in them are not listed.\n`);
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const cut = (id: string): string => (flags.trunc === false ? id : shortId(id));
    if (flags.quiet) {
      // As docker ps -q: the containers, for `docker stop $(sidekick sessions -q)`.
      process.stdout.write(report.containers.map((c) => `${cut(c.id)}\n`).join(''));
      return 0;
    }
    const rows = sessionRows(report);
    if (format.kind !== 'table') {
      process.stdout.write(renderRows(format, rows));
      return 0;
    }
    if (rows.length === 0) {
      process.stdout.write('no sidekick sessions or injections\n');
      return 0;
    }
    const lines: string[][] = [['KIND', 'SESSION / WHERE', 'CONTAINER', 'TARGET', 'STATUS', 'CLIENT', 'CREATED']];
    for (const r of rows) lines.push([r.Kind, r.Session, `${cut(r.ID)} ${r.Name}`, cut(r.Target), r.Status, r.Client, r.Created]);
    // Labels are anyone's text (an image's LABEL); manifests live in the target, which can rewrite them.
    process.stdout.write(`${table(lines.map((row) => row.map(terminalSafe)))}\n`);
    return 0;
  } finally {
    engine.close();
  }
}

export function sessionRows(report: SessionsReport): SessionRow[] {
  return [
    ...report.containers.map((c) => ({ Kind: c.kind, Session: c.session, ID: c.id, Name: c.name, Target: c.target, Status: c.status, Client: clientColumn(c), Created: c.created })),
    ...report.injections.map((i) => ({
      Kind: `inject:${i.kind}`,
      Session: i.location,
      ID: i.containerId,
      Name: i.containerName,
      Target: i.containerId,
      Status: i.state,
      Client: '-',
      Created: i.createdAt,
    })),
  ];
}

function clientColumn(c: SessionContainer): string {
  const notMine = c.owner === 'mine' ? '' : c.owner === 'foreign' ? ', not yours' : ', unmarked';
  switch (c.client) {
    case 'alive':
      return `alive (${c.clientDetail}${notMine})`;
    case 'dead':
      return `dead (${c.kept ? 'kept with --keep' : c.detached ? 'detached with -d' : 'orphan'}${notMine})`;
    default:
      return `unknown (${/another machine/.test(c.clientDetail) ? 'other machine' : c.clientDetail}${notMine})`;
  }
}
