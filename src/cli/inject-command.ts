import { SidekickError } from '../core/errors.js';
import { parsePrefix } from '../core/inject/container-path.js';
import { warmSessionLabels } from '../core/labels.js';
import { injectOs } from '../debug/inject/inject-os.js';
import { assertRunning, injectToolbox, preloadBusybox } from '../debug/inject/inject-toolbox.js';
import type { Target } from '../core/target.js';
import type { Cleanups } from '../debug/inject/cleanups.js';
import { withInjectionLock } from '../debug/inject/injection-lock.js';
import type { Engine } from '../engines/engine.js';
import { connectEngineFor, type GlobalFlags } from './engine-from-flags.js';
import { withInterruptCleanup } from './interrupt-cleanup.js';
import { sidekickVersion } from './version.js';
import { terminalSafe } from './terminal-safe.js';
import { progressLine } from './progress-line.js';

export interface InjectFlags {
  os?: string;
  prefix: string;
  skipConflicts?: boolean;
  mirror?: string;
}

/** `sidekick inject`: returns the status to exit with. */
export async function runInject(reference: string, flags: InjectFlags, global: GlobalFlags): Promise<number> {
  const prefix = parsePrefix(flags.prefix);
  if (flags.os === undefined && (flags.skipConflicts || flags.mirror !== undefined)) {
    throw new SidekickError('BAD_USAGE', '--skip-conflicts and --mirror apply to --os only.', { hint: 'Add --os REF, or drop them.' });
  }
  preloadBusybox(process.env);
  const engine = await connectEngineFor(reference, global);
  try {
    const found = engine.findContainer(reference);
    // The lock is labelled next: its labels' one-time cost is paid while the engine answers.
    setImmediate(warmSessionLabels);
    const target = await found;
    assertRunning(target, engine.commands);
    // Manifests and conflict paths live in the target, which can rewrite them.
    const say = (line: string): void => void process.stderr.write(`sidekick: ${terminalSafe(line)}\n`);
    await withInterruptCleanup(
      (cleanups) => withInjectionLock(engine, target, 'inject', cleanups, () => inject(engine, target, prefix, flags, say, cleanups)),
      () => `inject into ${target.name} interrupted; temporary files and the lock are removed. Anything written is recorded: sidekick eject ${target.name} removes it.`,
    );
    const byHand = engine.commands.execInteractive(target.name, `${prefix}/bin/sh`);
    say(`in: sidekick shell ${target.name}${byHand !== undefined ? `   or: ${byHand}` : ''}`);
    say(`out: sidekick eject ${target.name}${prefix === '/.sidekick' ? '' : ` --prefix ${prefix}`}`);
    return 0;
  } finally {
    engine.close();
  }
}

async function inject(engine: Engine, target: Target, prefix: string, flags: InjectFlags, say: (line: string) => void, cleanups: Cleanups): Promise<void> {
  if (flags.os !== undefined) {
    // Each stage of an OS injection takes seconds: the progress line, on a terminal only.
    const progress = progressLine();
    // Erased before any other line: on success, on an error, and before an interrupt's message.
    const forget = cleanups.add(() => progress.done());
    const result = await injectOs(engine, target, {
        ref: flags.os,
        prefix,
        skipConflicts: flags.skipConflicts ?? false,
        sidekickVersion: sidekickVersion(),
        env: process.env,
        ...(flags.mirror !== undefined ? { mirror: flags.mirror } : {}),
        onProgress: (message: string) => progress.step(message),
        cleanups,
      }).finally(() => {
        progress.done();
        forget();
      });
      const { plan } = result;
      say(`injected ${result.manifest.source} into ${target.name}: ${plan.write.size} entries written, ${plan.kept.length} of the target's own kept.`);
      if (plan.conflicts.length > 0) say(`left out (conflicts): ${plan.conflicts.map((c) => c.path).join(', ')}`);
      if (plan.droppedHardlinks.length > 0) say(`left out ${plan.droppedHardlinks.length} hard link(s) to files the target keeps.`);
    } else {
      const result = await injectToolbox(engine, target, { prefix, sidekickVersion: sidekickVersion(), env: process.env, onUpload: (abort) => cleanups.add(abort), checkpoint: () => cleanups.checkpoint() });
      say(result.written ? `injected busybox (${result.manifest.applets} applets) into ${target.name} at ${prefix}.` : `${target.name} already has the toolbox at ${prefix} (since ${result.manifest.createdAt}).`);
    }
}
