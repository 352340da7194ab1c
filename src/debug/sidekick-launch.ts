import { readFile } from 'node:fs/promises';
import { pack } from 'tar-stream';
import { TARGET_ID_VARIABLE, TARGET_SHARES_PID_VARIABLE } from '../core/session-shell.js';
import { joinsAnother } from '../core/namespace-mode.js';
import type { Target } from '../core/target.js';
import type { Engine, SidekickSpec } from '../engines/engine.js';
import { findStaticInit, INIT_PATH, type Toolbox } from './toolbox.js';

/** How a sidekick's first process is started: under an init when one can be had, and where its target is. */
export interface SidekickLaunch {
  /** Goes before the shell command: the init and its flags, or nothing. */
  commandPrefix: string[];
  env: string[];
  preload?: SidekickSpec['preload'];
  /** Whether the shell runs as the child of a reaping init (docs/RELIABILITY.md, "zombies"). */
  underInit: boolean;
}

/**
 * The init is tini: `-s` makes it a child subreaper (in a shared PID namespace it is not
 * PID 1, and orphans would otherwise go to the target's PID 1, which never reaps), `-g`
 * passes the engine's stop signal to the whole process group of the session's shell.
 * A toolbox image without one gets this host's static tini put into the sidekick's own
 * filesystem before it starts; with none on this host the session runs without, and says so.
 */
export async function sidekickLaunch(
  toolbox: Toolbox,
  target: Pick<Target, 'id' | 'runtimeId' | 'namespaceModes'> | undefined,
  env: NodeJS.ProcessEnv,
  /** More of the sidekick's own files (e.g. the dynamic view's busybox), put in with the init. */
  extra: PreloadEntry[] = [],
): Promise<SidekickLaunch> {
  const targetEnv = target === undefined ? [] : targetEnvironment(target);
  const initCommand = [INIT_PATH, '-s', '-g', '--'];
  const withExtra = (entries: PreloadEntry[]): Pick<SidekickLaunch, 'preload'> =>
    entries.length === 0 ? {} : { preload: { directory: '/', tar: () => entriesTar(entries) } };
  if (toolbox.hasInit) return { commandPrefix: initCommand, env: targetEnv, underInit: true, ...withExtra(extra) };
  const initSource = await findStaticInit(env);
  if (initSource === undefined) {
    return { commandPrefix: [], env: targetEnv, underInit: false, ...withExtra(extra) };
  }
  const init = await readFile(initSource);
  return {
    commandPrefix: initCommand,
    env: targetEnv,
    underInit: true,
    ...withExtra([{ name: INIT_PATH.slice(1), type: 'file', mode: 0o755, content: init }, ...extra]),
  };
}

/** A file, directory or hard link of a preload tar; names are relative to the sidekick's root. */
export interface PreloadEntry {
  name: string;
  type: 'file' | 'directory' | 'link';
  mode: number;
  content?: Buffer;
  /** For a hard link: the name it links to. */
  linkname?: string;
}

function entriesTar(entries: PreloadEntry[]): NodeJS.ReadableStream {
  const archive = pack();
  for (const entry of entries) {
    const header = { name: entry.name, type: entry.type, mode: entry.mode, mtime: new Date(0), ...(entry.linkname ? { linkname: entry.linkname } : {}) };
    if (entry.content) archive.entry(header, entry.content);
    else archive.entry(header);
  }
  archive.finalize();
  // tar-stream's Pack is a streamx Readable, which Node's stream consumers accept.
  return archive as unknown as NodeJS.ReadableStream;
}

/** What the session shell needs to find the target's own process (docs/RELIABILITY.md, "the right target"). */
export function targetEnvironment(target: Pick<Target, 'id' | 'runtimeId' | 'namespaceModes'>): string[] {
  const shared = joinsAnother(target.namespaceModes.pid);
  // The session shell finds the target's process by the ID its cgroups are named after.
  return [`${TARGET_ID_VARIABLE}=${target.runtimeId || target.id}`, ...(shared ? [`${TARGET_SHARES_PID_VARIABLE}=1`] : [])];
}

/**
 * Ends a sidekick so that nothing of it is left in the target: a stop lets its shell end
 * every process of the session and the init reap them; a forced removal would kill the
 * init first and hand what still runs to the target's PID 1, as zombies. Removal follows
 * (auto-remove usually wins) for whatever the stop could not end.
 */
export async function stopSidekick(engine: Engine, id: string, underInit: boolean): Promise<void> {
  if (underInit) await stopSession(engine, id);
  await engine.removeContainer(id, { force: true });
}

/** The stop alone (TERM to the init, KILL after a grace); a sidekick already gone or stopped is fine. */
export async function stopSession(engine: Engine, id: string): Promise<void> {
  await engine.stopContainer(id, { graceSeconds: STOP_GRACE_SECONDS }).catch(() => undefined);
}

/** Longer than the session shell's own escalation from TERM to KILL (about 3 s). */
const STOP_GRACE_SECONDS = 10;
