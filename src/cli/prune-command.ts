import { pruneSessions, type PrunedObject } from '../debug/prune.js';
import { connectEngine, type GlobalFlags } from './engine-from-flags.js';
import { terminalSafe } from './terminal-safe.js';

export interface PruneFlags {
  all?: boolean;
  json?: boolean;
  dryRun?: boolean;
}

export async function runPrune(flags: PruneFlags, global: GlobalFlags): Promise<number> {
  const { engine } = connectEngine(global);
  try {
    const report = await pruneSessions(engine, { includeRunning: flags.all ?? false, dryRun: flags.dryRun ?? false });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else if (report.dryRun) {
      for (const item of report.removed) process.stdout.write(`would remove ${describe(item)}: ${terminalSafe(item.reason)}\n`);
      for (const item of report.kept) process.stdout.write(`would keep ${describe(item)}: ${terminalSafe(item.reason)}\n`);
      if (report.removed.length === 0 && report.kept.length === 0) process.stdout.write('nothing labelled by sidekick on this engine\n');
    } else {
      for (const item of report.removed) process.stdout.write(`removed ${describe(item)}\n`);
      // Kept objects are not news (a live session is meant to stay); --dry-run says why each stays.
      if (report.removed.length === 0 && report.failed.length === 0) {
        process.stdout.write(report.kept.length > 0 ? `nothing to prune (${report.kept.length} kept; sidekick prune --dry-run says why)\n` : 'nothing to prune\n');
      }
    }
    if (!flags.json) for (const note of report.notes) process.stderr.write(`sidekick: ${terminalSafe(note)}\n`);
    for (const item of report.failed) {
      process.stderr.write(`sidekick: could not remove ${describe(item)}: ${terminalSafe(item.reason)}\n`);
    }
    return report.failed.length > 0 ? 125 : 0;
  } finally {
    engine.close();
  }
}

/** Names and labels are anyone's text (an image's LABEL, docker run --label): never raw on the terminal. */
function describe(item: PrunedObject): string {
  const name = item.name || item.id.replace(/^sha256:/, '').slice(0, 12);
  return terminalSafe(`${item.type} ${name} (${item.kind || 'unknown'}, session ${item.session})`);
}
