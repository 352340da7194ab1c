import { SidekickError } from '../core/errors.js';
import { pruneSessions, type PrunedObject } from '../debug/prune.js';
import { confirm, pruneAllConsent } from './confirm.js';
import { connectListingEngine, type GlobalFlags } from './engine-from-flags.js';
import { terminalSafe } from './terminal-safe.js';
import { shortId } from '../core/short-id.js';

export interface PruneFlags {
  /** -A: every namespace of the cluster. */
  allNamespaces?: boolean;
  all?: boolean;
  json?: boolean;
  dryRun?: boolean;
  /** -f: prune --all without asking. */
  force?: boolean;
}

export async function runPrune(flags: PruneFlags, global: GlobalFlags): Promise<number> {
  // --all ends live sessions, other people's too: a person confirms it, a script says -f.
  const consent = pruneAllConsent(flags, process.stdin.isTTY === true && process.stderr.isTTY === true);
  if (consent === 'refuse') {
    throw new SidekickError('BAD_USAGE', 'prune --all ends live sessions too, and there is no terminal to confirm it on.', {
      hint: 'Add -f to remove without asking, or --dry-run to see what would be removed.',
    });
  }
  const { engine } = await connectListingEngine(global, { allNamespaces: flags.allNamespaces === true });
  try {
    let onlyIds: Set<string> | undefined;
    if (consent === 'ask') {
      const preview = await pruneSessions(engine, { includeRunning: true, dryRun: true });
      if (preview.removed.length === 0) {
        process.stdout.write('nothing to prune\n');
        return 0;
      }
      process.stderr.write(`sidekick: prune --all would remove, live sessions included:\n${preview.removed.map((item) => `  ${describe(item)}\n`).join('')}`);
      if (!(await confirm(`Remove these ${preview.removed.length}?`, process.stdin, process.stderr))) {
        process.stderr.write('sidekick: nothing removed.\n');
        return 0;
      }
      onlyIds = new Set(preview.removed.map((item) => item.id));
    }
    const report = await pruneSessions(engine, { includeRunning: flags.all ?? false, dryRun: flags.dryRun ?? false, ...(onlyIds ? { onlyIds } : {}) });
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else if (report.dryRun) {
      for (const item of report.removed) process.stdout.write(`would ${item.remains === undefined ? 'remove' : 'end'} ${describe(item)}: ${terminalSafe(item.reason)}\n`);
      for (const item of report.kept) process.stdout.write(`would keep ${describe(item)}: ${terminalSafe(item.reason)}\n`);
      if (report.removed.length === 0 && report.kept.length === 0) process.stdout.write('nothing labelled by sidekick on this engine\n');
    } else {
      for (const item of report.removed) {
        process.stdout.write(item.remains === undefined ? `removed ${describe(item)}\n` : `ended ${describe(item)}; ${terminalSafe(item.remains)}\n`);
      }
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
  const name = item.name || shortId(item.id);
  return terminalSafe(`${item.type} ${name} (${item.kind || 'unknown'}, session ${item.session})`);
}
