import { SidekickError, isSidekickError } from '../core/errors.js';
import { containerOrImageReference } from '../core/reference.js';
import type { ProgressEvent } from '../engines/engine.js';
import { startExecSession, type ExecRequest, type ExecSession } from '../debug/exec-session.js';
import { imageFallback, noteIfAlsoImage } from '../debug/exec-copy/copy-origin.js';
import { deferSignals, SIGNAL_STATUS } from './deferred-signals.js';
import { terminalModes } from './terminal-modes.js';
import { chooseEngine, connectEngineFor, sameEngineFlags, type GlobalFlags } from './engine-from-flags.js';
import { formatArgv } from '../core/shell-word.js';
import { refusePodSessionFlags } from './pod-exec-limits.js';
import { isPodReference } from '../core/reference.js';
import { runCopyExec } from './exec-copy-command.js';
import { pumpTerminal } from './terminal.js';
import { targetChange } from '../debug/target-change.js';
import type { Engine } from '../engines/engine.js';
import type { Target } from '../core/target.js';
import { parsePackageList } from '../core/toolbox-packages.js';
import { packageBuildReporter } from './toolbox-progress.js';
import { chooseDetachKeys, parseDetachKeys, type DetachKeys } from './detach-keys.js';
import { readEnvFiles } from './env-file.js';
import { progressLine, type ProgressLine } from './progress-line.js';
import { shortId } from '../core/short-id.js';

export interface ExecFlags {
  interactive?: boolean;
  tty?: boolean;
  image?: string;
  /** --tools: Debian packages for a toolbox built here. */
  tools?: string;
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
  detachKeys?: string;
  /** -w: absolute directory the command starts in. */
  workdir?: string;
  /** --env-file, in order; -e entries come after them and win. */
  envFile?: string[];
  /** -d: start the session and return its name. */
  detach?: boolean;
  /** --network, for a copy. */
  network?: string;
  /** --attach NAME: back into a detached session. */
  attach?: string;
}

/** `sidekick exec`: returns the status to exit with. */
export async function runExec(targetArgument: string | undefined, commandArguments: string[], flags: ExecFlags, global: GlobalFlags): Promise<number> {
  if (flags.attach !== undefined) {
    if (targetArgument !== undefined || commandArguments.length > 0) {
      throw new SidekickError('BAD_USAGE', '--attach takes the name of a detached session, and no TARGET or command.', { hint: 'Run sidekick exec --attach NAME.' });
    }
    const { runAttach } = await import('./exec-attach-command.js');
    return runAttach(flags.attach, flags, global);
  }
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
  if (flags.network !== undefined && !flags.copy && imageTarget === undefined) {
    throw new SidekickError('BAD_USAGE', "--network applies only to copies: a sidekick shares the target's network.", { hint: 'Add --copy.' });
  }
  if (flags.detach && (flags.copy || imageTarget !== undefined)) {
    throw new SidekickError('BAD_USAGE', '-d works on a running target; a copy is debugged attached.', { hint: 'Drop -d, or --copy.' });
  }
  // Detached, nothing is read from this terminal: with no command the shell waits (-it) for docker attach.
  const { interactive, tty } = flags.detach
    ? { interactive: flags.interactive ?? command.length === 0, tty: flags.tty ?? command.length === 0 }
    : terminalModes(flags, command, process.stdin.isTTY === true);
  const detach = detachKeysFor(flags.detachKeys, tty && interactive);
  if (imageTarget === undefined && !flags.copy && chooseEngine(target, global).kind === 'kubernetes') {
    refusePodSessionFlags({ keep: flags.keep ?? false });
  }
  const env = [...readEnvFiles(flags.envFile ?? [], process.env), ...flags.env];
  flags = { ...flags, env };
  if (flags.privileged && flags.capAdd.length > 0) {
    throw new SidekickError('BAD_USAGE', '--privileged already grants every capability; --cap-add contradicts it.', {
      hint: 'Use one or the other.',
    });
  }

  if (flags.tools !== undefined && flags.image !== undefined) {
    throw new SidekickError('BAD_USAGE', '--tools builds a toolbox and --image names one; use one of them.', { hint: 'Drop --image, or --tools.' });
  }
  if (flags.tools !== undefined && (flags.copy || imageTarget !== undefined)) {
    throw new SidekickError('BAD_USAGE', '--tools works on a running target, not with --copy or --image-target yet.', {
      hint: 'Build the toolbox with `sidekick toolbox build --tools …` and pass it with --image where that is accepted.',
    });
  }
  const tools = flags.tools === undefined ? undefined : parsePackageList(flags.tools);
  const engine = await connectEngineFor(imageTarget === undefined ? target : undefined, global);
  const request: ExecRequest = {
    target,
    command,
    tty,
    interactive,
    privileged: flags.privileged ?? false,
    capAdd: flags.capAdd.map((cap) => cap.toUpperCase().replace(/^CAP_/, '')),
    env: flags.env,
    keep: flags.keep ?? false,
    announce: tty && process.stderr.isTTY === true && !flags.detach,
    ...(flags.detach ? { detached: true } : {}),
    ...(flags.workdir !== undefined ? { workdir: flags.workdir } : {}),
    ...(flags.image !== undefined ? { image: flags.image } : {}),
    ...(tools !== undefined ? { tools } : {}),
    ...(flags.chroot !== undefined ? { chroot: flags.chroot } : {}),
    ...(flags.user !== undefined ? { user: flags.user } : {}),
    ...(flags.name !== undefined ? { name: flags.name } : {}),
    ...(detach ? { detachKeys: detach.spec } : {}),
    // The session's terminal starts at this one's size, so that its first command and prompt see it.
    ...(tty && process.stdout.isTTY === true && process.stdout.columns > 0 ? { consoleSize: { cols: process.stdout.columns, rows: process.stdout.rows } } : {}),
  };
  const copyOptions = { target, imageOnly: imageTarget !== undefined, command, tty, interactive, ...(detach ? { detach } : {}) };
  if (flags.copy || imageTarget !== undefined) {
    try {
      return await runCopyExec(engine, copyOptions, flags, global);
    } finally {
      engine.close();
    }
  }
  let session: ExecSession;
  const progress = progressLine();
  const setup = deferSignals();
  try {
    session = await startExecSession(engine, request, process.env, { ...progressReporter(progress), ...packageBuildReporter(global.debug === true, progress) });
    progress.done();
  } catch (error) {
    progress.done();
    setup.release();
    // TARGET names no container: it may name a local image, debugged through a container of it.
    if (!(isSidekickError(error) && error.code === 'TARGET_NOT_FOUND' && !isPodReference(target) && (await imageFallback(engine, target, error)))) {
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
  if (flags.detach) return leaveDetached(session, engine, interactive, global);
  if (flags.keep) {
    const remove = engine.commands.stopAndRemoveContainer(shortId(session.sidekickId));
    process.stderr.write(`sidekick: keeping sidekick ${shortId(session.sidekickId)}; ${remove !== undefined ? `remove it with: ${remove} (stop, not rm -f: it lets the session end its processes in the target)` : 'sidekick prune --all removes it'}\n`);
  }
  try {
    const sidekick = shortId(session.sidekickId);
    const status = await pumpTerminal(session.process, {
      tty,
      interactive,
      onTerminate: () => session.dispose(),
      ...(detach
        ? {
            detach: {
              keys: detach.keys,
              onDetach: async () => {
                if (flags.keep) {
                  const ways = [labelled('Back in: ', engine.commands.attachContainer(sidekick)), labelled('remove it: ', engine.commands.stopAndRemoveContainer(sidekick))];
                  process.stderr.write(`\nsidekick: detached (${detach.spec}); sidekick ${sidekick} keeps running (--keep).\n${ways.filter((way) => way !== '').join('   ') || 'sidekick prune --all removes it.'}\n`);
                } else {
                  await session.dispose();
                  process.stderr.write(`\nsidekick: detached (${detach.spec}); the sidekick was removed, as it is without --keep.\nTo leave one running and come back to it, start it with --keep.\n`);
                }
                return 0;
              },
            },
          }
        : {}),
    });
    // Killed: most often because the target's process ended, which takes every process of its PID namespace with it.
    if (status === 137) await explainKill(engine, session.target);
    return status;
  } finally {
    await session.dispose().catch(() => undefined);
    engine.close();
  }
}

/** -d: the session runs on without this process; its name goes to stdout, as docker run -d prints an ID. */
function leaveDetached(session: ExecSession, engine: Engine, interactive: boolean, global: GlobalFlags): number {
  session.process.detach();
  engine.close();
  const name = session.sidekickName;
  process.stdout.write(`${name}\n`);
  if (process.stderr.isTTY === true) {
    // A session that reads its input is gone back into; one that does not is followed, by name
    // where the engine knows its containers by name (docker logs -f NAME), else by ID (kubectl logs -f POD -c NAME).
    const back = interactive
      ? formatArgv(['sidekick', 'exec', '--attach', name, ...sameEngineFlags(global)])
      : (engine.commands.followLogs(name) ?? engine.commands.followLogs(session.sidekickId));
    const stop = engine.commands.stopContainer(name);
    const end = stop !== undefined ? `end it: ${stop} (or sidekick prune --all)` : 'end it: sidekick prune --all';
    process.stderr.write(`sidekick: detached session ${name}; ${back !== undefined ? `back in: ${back}   ` : ''}${end}\n`);
  }
  return 0;
}

async function explainKill(engine: Engine, target: Target): Promise<void> {
  const change = await targetChange(engine, target);
  if (change === undefined) return;
  const what =
    change.kind === 'removed'
      ? 'was removed'
      : change.kind === 'restarted'
        ? 'restarted'
        : `stopped (${change.status}, exit status ${change.exitCode})`;
  process.stderr.write(`sidekick: the target ${target.name} ${what} during the session; the sidekick, in its PID namespace, was killed with it.\n`);
}

/** The detach keys of an interactive terminal session (checked even when unused, so a typo is seen). */
function detachKeysFor(flag: string | undefined, used: boolean): DetachKeys | undefined {
  if (flag !== undefined && flag !== '') parseDetachKeys(flag);
  if (!used) return undefined;
  const spec = chooseDetachKeys(flag, process.env);
  return { spec, keys: parseDetachKeys(spec) };
}

/** The toolbox build and image pulls on the progress line; erased (`done`) before the session's output. */
function progressReporter(progress: ProgressLine): { onToolboxBuild: (source: string) => void; onProgress: (event: ProgressEvent) => void } {
  let pulling = false;
  return {
    onToolboxBuild: (source) => progress.step(`preparing the toolbox image from ${source} (once)`),
    onProgress: (event) => {
      if (!pulling) progress.step('pulling the toolbox image');
      pulling = true;
      progress.detail(`${event.id ? `${event.id}: ` : ''}${event.status} ${event.progress ?? ''}`.trim());
    },
  };
}

/** "Back in: docker attach x", or nothing when the engine has no such command. */
function labelled(label: string, command: string | undefined): string {
  return command === undefined ? '' : `${label}${command}`;
}
