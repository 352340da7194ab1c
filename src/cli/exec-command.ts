import { SidekickError, isSidekickError } from '../core/errors.js';
import { containerOrImageReference } from '../core/reference.js';
import type { ProgressEvent } from '../engines/engine.js';
import { startExecSession, type ExecRequest, type ExecSession } from '../debug/exec-session.js';
import { imageFallback, noteIfAlsoImage } from '../debug/copy/copy-origin.js';
import { deferSignals, SIGNAL_STATUS } from './deferred-signals.js';
import { terminalModes } from './terminal-modes.js';
import { connectEngine, type GlobalFlags } from './engine-from-flags.js';
import { runCopyExec } from './exec-copy-command.js';
import { pumpTerminal } from './terminal.js';

export interface ExecFlags {
  interactive?: boolean;
  tty?: boolean;
  image?: string;
  chroot?: boolean;
  privileged?: boolean;
  capAdd: string[];
  user?: string;
  env: string[];
  name?: string;
  keep?: boolean;
  /** Debug a copy (snapshot) of the target instead of joining it. */
  copy?: boolean;
  rwVolumes?: boolean;
  /** Debug this image; TARGET, if given, is then the first word of the command. */
  imageTarget?: string;
}

/** `sidekick exec`: returns the status to exit with. */
export async function runExec(targetArgument: string | undefined, commandArguments: string[], flags: ExecFlags, global: GlobalFlags): Promise<number> {
  const imageTarget = flags.imageTarget;
  // With --image-target the image is named by the flag, so a positional word starts the command.
  const command = imageTarget === undefined || targetArgument === undefined ? commandArguments : [targetArgument, ...commandArguments];
  const target = imageTarget ?? (targetArgument === undefined ? undefined : containerOrImageReference(targetArgument));
  if (target === undefined) {
    throw new SidekickError('BAD_USAGE', 'exec needs a TARGET (a container or a local image).', { hint: 'Run sidekick exec --help.' });
  }
  if (flags.rwVolumes && !flags.copy && imageTarget === undefined) {
    throw new SidekickError('BAD_USAGE', '--rw-volumes applies only to copies.', { hint: 'Add --copy.' });
  }
  const { interactive, tty } = terminalModes(flags, command, process.stdin.isTTY === true);
  if (flags.privileged && flags.capAdd.length > 0) {
    throw new SidekickError('BAD_USAGE', '--privileged already grants every capability; --cap-add contradicts it.', {
      hint: 'Use one or the other.',
    });
  }

  const { engine } = connectEngine(global);
  const request: ExecRequest = {
    target,
    command,
    tty,
    interactive,
    privileged: flags.privileged ?? false,
    capAdd: flags.capAdd.map((cap) => cap.toUpperCase().replace(/^CAP_/, '')),
    env: flags.env,
    keep: flags.keep ?? false,
    announce: tty && process.stderr.isTTY === true,
    ...(flags.image !== undefined ? { image: flags.image } : {}),
    ...(flags.chroot !== undefined ? { chroot: flags.chroot } : {}),
    ...(flags.user !== undefined ? { user: flags.user } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
  };
  const copyOptions = { target, imageOnly: imageTarget !== undefined, command, tty, interactive };
  if (flags.copy || imageTarget !== undefined) {
    try {
      return await runCopyExec(engine, copyOptions, flags, global);
    } finally {
      engine.close();
    }
  }
  let session: ExecSession;
  const setup = deferSignals();
  try {
    session = await startExecSession(engine, request, process.env, progressReporter());
  } catch (error) {
    setup.release();
    // TARGET names no container: it may name a local image, debugged through a container of it.
    if (!(isSidekickError(error) && error.code === 'TARGET_NOT_FOUND' && (await imageFallback(engine, target, error)))) {
      engine.close();
      throw error;
    }
    try {
      return await runCopyExec(engine, { ...copyOptions, imageOnly: true }, flags, global);
    } finally {
      engine.close();
    }
  }
  const early = setup.release();
  if (early !== undefined) {
    await session.dispose().catch(() => undefined);
    engine.close();
    return SIGNAL_STATUS[early] ?? 130;
  }
  if (global.debug) await noteIfAlsoImage(engine, target, (text) => process.stderr.write(`sidekick: ${text}\n`));
  if (flags.keep) {
    process.stderr.write(`sidekick: keeping sidekick ${session.sidekickId.slice(0, 12)}; remove it with: docker rm -f ${session.sidekickId.slice(0, 12)}\n`);
  }
  try {
    return await pumpTerminal(session.process, {
      tty,
      interactive,
      onTerminate: () => session.dispose(),
    });
  } finally {
    await session.dispose().catch(() => undefined);
    engine.close();
  }
}

function progressReporter(): { onToolboxBuild: (source: string) => void; onProgress: (event: ProgressEvent) => void } {
  const visible = process.stderr.isTTY === true;
  return {
    onToolboxBuild: (source) => {
      if (visible) process.stderr.write(`sidekick: preparing the toolbox image from ${source} (once)\n`);
    },
    onProgress: (event) => {
      if (visible) process.stderr.write(`\r\x1b[K${event.id ? `${event.id}: ` : ''}${event.status} ${event.progress ?? ''}`);
    },
  };
}
