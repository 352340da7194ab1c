import { pruneSessions } from '../debug/prune.js';
import { connectEngine, type GlobalFlags } from './engine-from-flags.js';
import { terminalSafe as s } from './terminal-safe.js';

export async function runPrune(flags: { all?: boolean; json?: boolean }, global: GlobalFlags): Promise<number> {
  const { engine } = connectEngine(global);
  try {
    const report = await pruneSessions(engine, { includeRunning: flags.all ?? false });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      for (const item of report.removed) {
        process.stdout.write(`removed ${item.type} ${s(item.name || item.id.slice(0, 12))} (${s(item.kind || 'unknown')}, session ${s(item.session)})\n`);
      }
      for (const item of report.kept) {
        process.stderr.write(`sidekick: could not remove ${item.type} ${s(item.name || item.id.slice(0, 12))}: ${s(item.reason)}\n`);
      }
      if (report.removed.length === 0 && report.kept.length === 0) process.stdout.write('nothing to prune\n');
    }
    return report.kept.length > 0 ? 125 : 0;
  } finally {
    engine.close();
  }
}
