import { listSessions } from '../debug/sessions.js';
import { table, terminalSafe } from './terminal-safe.js';
import { connectEngine, type GlobalFlags } from './engine-from-flags.js';

export async function runSessions(flags: { json?: boolean }, global: GlobalFlags): Promise<number> {
  const { engine } = connectEngine(global);
  try {
    const report = await listSessions(engine);
    for (const c of report.unanswered) {
      process.stderr.write(`sidekick: ${terminalSafe(c.containerName || c.containerId.slice(0, 12))} did not answer within 5 s (the engine holds it while a copy into it runs); its injections, if any, are not listed.\n`);
    }
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    const rows: string[][] = [['KIND', 'SESSION / WHERE', 'CONTAINER', 'TARGET', 'STATUS', 'CREATED']];
    for (const c of report.containers) rows.push([c.kind, c.session, `${c.id.slice(0, 12)} ${c.name}`, c.target.slice(0, 12), c.status, c.created]);
    for (const i of report.injections) rows.push([`inject:${i.kind}`, i.location, `${i.containerId.slice(0, 12)} ${i.containerName}`, i.containerId.slice(0, 12), i.state, i.createdAt]);
    if (rows.length === 1) {
      process.stdout.write('no sidekick sessions or injections\n');
      return 0;
    }
    // Manifests are written by sidekick but live in the target, which can rewrite them.
    process.stdout.write(`${table(rows.map((row) => row.map(terminalSafe)))}\n`);
    return 0;
  } finally {
    engine.close();
  }
}
