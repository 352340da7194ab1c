import { SidekickError } from '../core/errors.js';
import { parseFramedDump } from '../core/framed-dump.js';
import { namespaceModeText } from '../core/namespace-mode.js';
import type { Target } from '../core/target.js';
import type { Engine } from '../engines/engine.js';
import { withCommand } from './engine-hint.js';
import { decodeTargetDump, type TargetSample } from './decode-dump.js';
import { targetDumpScript, type TargetDumpParts } from './dump-script.js';
import { runCapture } from './run-capture.js';
import { sidekickLaunch } from './sidekick-launch.js';
import { TARGET_PROCESS_MISSING_STATUS } from '../core/session-shell.js';
import type { Toolbox } from './toolbox.js';

export interface GatheredSample {
  sample: TargetSample;
  /** The short-lived sidekick that read it (gone by now), so that reports can leave it out. */
  sidekickId: string;
}

/**
 * Reads a running target's /proc through a short-lived sidekick in its PID and network
 * namespaces. Works wherever the engine is (remote, Desktop): nothing is read from the host.
 */
export async function gatherTargetSample(
  engine: Engine,
  target: Target,
  toolbox: Toolbox,
  parts: TargetDumpParts,
  /** Makes the toolbox image when the create finds none (debug/toolbox.ts, assumeDefaultToolbox). */
  buildToolbox?: () => Promise<void>,
): Promise<GatheredSample> {
  const result = await runCapture(engine, {
    ...(buildToolbox ? { buildImage: buildToolbox } : {}),
    launch: await sidekickLaunch(toolbox, target, process.env),
    image: toolbox.image,
    script: targetDumpScript(parts),
    target: { id: target.id, joinIpc: false },
    labelTarget: target.id,
    nameFor: target.name,
    // Reading /proc/1/{environ,exe,fd,root} of a process of another uid needs ptrace rights.
    capAdd: ['SYS_PTRACE'],
  });
  const dump = parseFramedDump(result.stdout);
  if (result.code === TARGET_PROCESS_MISSING_STATUS && dump.values.get('target') === undefined) {
    throw new SidekickError('TARGET_NOT_RUNNING', `the process of ${target.name} was not found in the PID namespace it shares (${namespaceModeText(target.namespaceModes.pid)}); it may have just stopped.`, {
      hint: `${withCommand('Check it', engine.commands.showContainer(target.id), ' with ')}.`,
    });
  }
  if (result.code !== 0 || dump.values.get('self') === undefined) {
    const detail = result.stderr.trim().split('\n')[0] ?? '';
    throw new SidekickError('ENGINE_ERROR', `the sidekick reading ${target.name}'s /proc failed (status ${result.code})${detail ? `: ${detail}` : ''}.`, {
      hint: 'Check that the target is still running, then retry with --debug.',
    });
  }
  return { sample: decodeTargetDump(dump), sidekickId: result.sidekickId };
}
