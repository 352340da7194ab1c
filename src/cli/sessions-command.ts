import { listSessions, type SessionContainer } from '../debug/sessions.js';
import { table, terminalSafe } from './terminal-safe.js';
import { connectEngine, type GlobalFlags } from './engine-from-flags.js';

export async function runSessions(flags: { json?: boolean }, global: GlobalFlags): Promise<number> {
  const { engine } = connectEngine(global);
  try {
    const report = await listSessions(engine);
    if (report.unanswered.length > 0 && !flags.json) {
      const names = report.unanswered.map((c) => c.containerName || c.containerId.slice(0, 12)).join(', ');
      process.stderr.write(`sidekick: the engine did not answer about ${terminalSafe(names)} in time; injections in them are not listed.\n`);
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const rows: string[][] = [['KIND', 'SESSION / WHERE', 'CONTAINER', 'TARGET', 'STATUS', 'CLIENT', 'CREATED']];
    for (const c of report.containers) rows.push([c.kind, c.session, `${c.id.slice(0, 12)} ${c.name}`, c.target.slice(0, 12), c.status, clientColumn(c), c.created]);
    for (const i of report.injections) rows.push([`inject:${i.kind}`, i.location, `${i.containerId.slice(0, 12)} ${i.containerName}`, i.containerId.slice(0, 12), i.state, '-', i.createdAt]);
    if (rows.length === 1) {
      process.stdout.write('no sidekick sessions or injections\n');
      return 0;
    }
    // Labels are anyone's text (an image's LABEL); manifests live in the target, which can rewrite them.
    process.stdout.write(`${table(rows.map((row) => row.map(terminalSafe)))}\n`);
    return 0;
  } finally {
    engine.close();
  }
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
