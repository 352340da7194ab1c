import { parsePrefix } from '../core/inject/container-path.js';
import { warmSessionLabels } from '../core/labels.js';
import { eject } from '../debug/inject/eject.js';
import { terminalSafe } from './terminal-safe.js';
import { connectEngineFor, type GlobalFlags } from './engine-from-flags.js';
import { withInterruptCleanup } from './interrupt-cleanup.js';

const LISTED = 20;

/** `sidekick eject`: returns the status to exit with (0 also when there was nothing to remove). */
export async function runEject(reference: string, flags: { prefix: string[] }, global: GlobalFlags): Promise<number> {
  const prefixes = flags.prefix.map(parsePrefix);
  const engine = await connectEngineFor(reference, global);
  try {
    const found = engine.findContainer(reference);
    // The lock is labelled next: its labels' one-time cost is paid while the engine answers.
    setImmediate(warmSessionLabels);
    const target = await found;
    const result = await withInterruptCleanup(
      (cleanups) => eject(engine, target, { prefixes, env: process.env, cleanups }),
      () => `eject of ${target.name} interrupted; what is left stays recorded: run sidekick eject ${target.name} again.`,
    );
    // Paths come from the target's filesystem and may hold escapes or newlines.
    const say = (line: string): void => void process.stderr.write(`sidekick: ${terminalSafe(line)}\n`);
    if (!result.os && !result.toolbox && !result.incompleteToolbox) {
      say(`nothing injected by sidekick was found in ${target.name}; nothing to do.`);
      return 0;
    }
    if (result.os) say(`removed the injected OS (${result.os.source}) from ${target.name}.`);
    if (result.removedLater.length > 0) say(`removed ${result.removedLater.length} path(s) its package manager added later: ${list(result.removedLater)}`);
    if (result.kept.length > 0) say(`kept ${result.kept.length} path(s) created since the injection by something else: ${list(result.kept)}`);
    if (result.holders.length > 0) say(`kept ${result.holders.length} directory(ies) of the OS that hold them: ${list(result.holders)}`);
    if (result.toolbox) say(`removed the toolbox at ${result.toolbox} from ${target.name}.`);
    if (result.incompleteToolbox) say(`removed an interrupted injection at ${result.incompleteToolbox} from ${target.name}.`);
    return 0;
  } finally {
    engine.close();
  }
}

function list(paths: string[]): string {
  return `${paths.slice(0, LISTED).join(', ')}${paths.length > LISTED ? `, … (${paths.length - LISTED} more)` : ''}`;
}
