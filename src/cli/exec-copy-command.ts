import { RUN_ENTRYPOINT, COPY_TOOLS } from '../core/copy-script.js';
import { formatArgv } from '../core/shell-word.js';
import { SidekickError } from '../core/errors.js';
import { startCopySession, type CopySession } from '../debug/exec-copy/copy-session.js';
import type { NetworkMode } from '../core/target.js';
import type { Engine, EngineCommands } from '../engines/engine.js';
import type { ExecFlags } from './exec-command.js';
import type { GlobalFlags } from './engine-from-flags.js';
import { pumpTerminal } from './terminal.js';
import { progressLine } from './progress-line.js';
import type { DetachKeys } from './detach-keys.js';
import { terminalSafe } from './terminal-safe.js';
import { shortId } from '../core/short-id.js';

export interface CopyExecOptions {
  target: string;
  imageOnly: boolean;
  command: string[];
  tty: boolean;
  interactive: boolean;
  detach?: DetachKeys;
}

/** `sidekick exec --copy TARGET`, `sidekick exec IMAGE`, `--image-target REF`: returns the status to exit with. */
export async function runCopyExec(engine: Engine, options: CopyExecOptions, flags: ExecFlags, global: GlobalFlags): Promise<number> {
  if (flags.image !== undefined) {
    throw new SidekickError('BAD_USAGE', '--image cannot be used with a copy: the copy gets the static busybox toolbox.', {
      hint: 'Drop --image, or debug a running target without --copy.',
    });
  }
  if (flags.chroot !== undefined) {
    throw new SidekickError('BAD_USAGE', `--${flags.chroot ? '' : 'no-'}chroot does not apply to a copy: its / is always the original's files.`, {
      hint: 'Drop the flag; the toolbox is at /.sidekick/bin, on PATH.',
    });
  }
  const debug = global.debug === true;
  // Signals before the copy runs must still remove what was made so far.
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => abort.abort(signal);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, onSignal);
  let session: CopySession;
  const progress = progressLine();
  try {
    session = await startCopySession(
      engine,
      {
        target: options.target,
        imageOnly: options.imageOnly,
        command: options.command,
        tty: options.tty,
        interactive: options.interactive,
        env: flags.env,
        keep: flags.keep ?? false,
        rwVolumes: flags.rwVolumes ?? false,
        privileged: flags.privileged ?? false,
        capAdd: flags.capAdd.map((cap) => cap.toUpperCase().replace(/^CAP_/, '')),
        ...(options.detach ? { detachKeys: options.detach.spec } : {}),
        ...(flags.user !== undefined ? { user: flags.user } : {}),
        ...(flags.name !== undefined ? { name: flags.name } : {}),
        ...(flags.workdir !== undefined ? { workdir: flags.workdir } : {}),
        ...(flags.network !== undefined ? { network: networkFromFlag(flags.network) } : {}),
      },
      process.env,
      {
        signal: abort.signal,
        onStep: (text: string) => progress.step(text),
        ...(debug
          ? {
              onNote: (text: string) => {
                progress.done();
                process.stderr.write(`sidekick: ${text}\n`);
              },
            }
          : {}),
      },
    );
  } finally {
    progress.done();
    for (const signal of signals) process.off(signal, onSignal);
  }
  if (process.stderr.isTTY === true || debug) process.stderr.write(banner(session));
  // How the copy differs from the original matters to scripts too, so it is said even without a terminal.
  for (const notice of session.notices) process.stderr.write(`sidekick: ${terminalSafe(notice)}\n`);
  if (flags.keep) process.stderr.write(keptMessage(session, engine.commands));
  try {
    const { detach } = options;
    return await pumpTerminal(session.process, {
      tty: options.tty,
      interactive: options.interactive,
      onTerminate: () => session.dispose(),
      ...(detach
        ? {
            detach: {
              keys: detach.keys,
              onDetach: async () => {
                const id = shortId(session.containerId);
                if (flags.keep) {
                  const back = engine.commands.attachContainer(id);
                  process.stderr.write(`\nsidekick: detached (${detach.spec}); the copy keeps running (--keep).\n${back !== undefined ? `Back in: ${back}\n` : ''}`);
                }
                else {
                  await session.dispose();
                  process.stderr.write(`\nsidekick: detached (${detach.spec}); the copy was removed, as it is without --keep.\n`);
                }
                return 0;
              },
            },
          }
        : {}),
    });
  } finally {
    await session.dispose().catch((error: unknown) => {
      process.stderr.write(`sidekick: could not remove the copy: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  }
}

/** The first lines a person sees: what the copy is of, and what the original would run (not started). */
function banner(session: CopySession): string {
  const { origin } = session;
  const what = origin.kind === 'container' ? `a copy of container ${origin.name} (${origin.state})` : `a container of image ${origin.name}`;
  const lines = [
    `sidekick: ${what}; the original is not changed.`,
    `sidekick: entrypoint: ${origin.entrypoint.length > 0 ? formatArgv(origin.entrypoint) : '(none)'}`,
    `sidekick: command:    ${origin.cmd.length > 0 ? formatArgv(origin.cmd) : '(none)'}`,
    `sidekick: not started; run it with \`${RUN_ENTRYPOINT} [ARGS...]\`. Toolbox: ${COPY_TOOLS}, on PATH.`,
  ];
  // The entrypoint and command are the image's choice: printed escaped.
  return `${lines.map(terminalSafe).join('\n')}\n`;
}

function keptMessage(session: CopySession, commands: EngineCommands): string {
  const id = shortId(session.containerId);
  const what = session.snapshot ? `copy container ${id} and image ${session.snapshot.reference}` : `copy container ${id}`;
  const container = session.snapshot ? commands.removeContainer(id, { force: true, volumes: true }) : commands.removeCopy(session.containerId);
  const image = session.snapshot ? commands.removeImage(session.snapshot.reference) : '';
  const how = container === undefined || image === undefined ? 'sidekick prune --all removes them' : `remove with: ${container}${image ? ` && ${image}` : ''}`;
  return `sidekick: keeping ${what}; ${how}\n`;
}

/** --network: "none" (a namespace of its own without a network), "host", or a network's name. */
function networkFromFlag(value: string): NetworkMode {
  if (value === 'none') return { kind: 'private' };
  if (value === 'host') return { kind: 'host' };
  return { kind: 'named', name: value };
}
