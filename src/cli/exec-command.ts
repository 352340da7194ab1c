import { SidekickError } from '../core/errors.js';
import type { ProgressEvent } from '../engines/engine.js';
import { startExecSession, type ExecRequest } from '../debug/exec-session.js';
import { connectEngine, type GlobalFlags } from './engine-from-flags.js';
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
}

/** `sidekick exec`: returns the status to exit with. */
export async function runExec(target: string, command: string[], flags: ExecFlags, global: GlobalFlags): Promise<number> {
  const stdinIsTerminal = process.stdin.isTTY === true;
  const noCommand = command.length === 0;
  // docker's defaults, plus a shell being interactive by default: that is what `exec T` is asked for.
  const interactive = flags.interactive ?? noCommand;
  const tty = flags.tty ?? (noCommand && stdinIsTerminal);
  if (tty && !stdinIsTerminal) {
    throw new SidekickError('BAD_USAGE', '-t asks for a terminal, but stdin is not one.', { hint: 'Drop -t when piping input.' });
  }
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
  const session = await startExecSession(engine, request, process.env, progressReporter());
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
