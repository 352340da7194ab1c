/**
 * `sidekick shell`: docker exec into the target with the injected toolbox on PATH. Unlike
 * `sidekick exec` this runs in the target itself (its root, its user), so it needs an injection.
 */
import { randomBytes } from 'node:crypto';
import { SidekickError } from '../../core/errors.js';
import type { ProcessHandle } from '../../core/process-handle.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import { assertRootOwnedToolbox } from './container-files.js';
import { findInjections } from './find-injections.js';
import { findToolboxInTarget } from './find-toolbox-in-target.js';
import type { OsManifest } from '../../core/inject/injection-manifest.js';
import { assertRunning, INJECTED_INIT_NAME } from './inject-toolbox.js';
import { SESSION_SHELL_FUNCTIONS } from '../../core/session-shell.js';
import { shellQuote } from '../../core/shell-word.js';
import { requireCapability } from '../../engines/capabilities.js';

export interface ShellRequest {
  target: string;
  command: string[];
  root: boolean;
  tty: boolean;
  interactive: boolean;
  term?: string;
  prefixes?: string[];
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ShellSession {
  target: Target;
  process: ProcessHandle;
  prefix: string;
  /**
   * Sends a signal to the session's processes inside the target. The exec API has no signal
   * call, and a process left running would be a trace in the target: they are found by a
   * marker in their environment, by a process of the same user (never more privileged).
   */
  signal(signal: 'INT' | 'TERM' | 'HUP'): Promise<void>;
  /** Lets the session's keeper go once the session has ended; safe to call more than once. */
  release(): Promise<void>;
}

/** The line a client that ends normally sends its keeper: the session is over, nothing to end. */
const KEEPER_DONE = 'done';
/** The variable that gives the shell its keeper's PID. */
const KEEPER_VARIABLE = 'SIDEKICK_KEEPER';
/** The variable whose value (random, one per session) marks the session's processes. */
const MARKER_VARIABLE = 'SIDEKICK_SHELL';

/** How long the CLI waits for the keeper's PID, and for the keeper to end at the session's end. */
const KEEPER_WAIT_MS = 10_000;

/**
 * `session_started MARKER SPARED`: the PIDs of the processes whose environment holds the entry
 * MARKER, but not the entry SPARED (when not empty). An environment is a list of NUL-ended
 * entries, so grep reads it with -z: without it, busybox's grep sees the first entry alone,
 * and which entry is first depends on the program that started the process. One grep reads
 * them all (a grep per process would cost a fork each, on every round of the keeper).
 */
const SESSION_STARTED_FUNCTION = [
  'session_started() {',
  '  f_=$(grep -lszxF "$1" /proc/[0-9]*/environ)',
  '  [ -n "$f_" ] && [ -n "$2" ] && f_=$(grep -LszxF "$2" $f_)',
  '  for f in $f_; do f=${f#/proc/}; echo "${f%/environ}"; done',
  '}',
].join('\n');

/**
 * The session's keeper: an exec beside the shell with nothing but its stdin, which the engine
 * closes when the client's connection ends, however the client ended (a `kill -9` too). The
 * exec API has no lease and a shell on a terminal never sees its client go, so the keeper ends
 * what the session started then: a hang-up, then KILL after 2 s for what ignored it.
 *
 * With an init, the init and the session's shell (and the shell's own subshells) are left
 * alone: they carry the keeper variable in their environment, which the shell unsets before it
 * starts anything. The shell ends once its command has, after it has swept the rest, and the
 * init reaps them all and exits with it. Killed, the shell would let the init exit while what
 * the shell was sweeping still ran, to become zombies of the target's PID 1
 * (docs/RELIABILITY.md). Without an init the shell has become the command, and is ended too.
 *
 * It prints its PID first (the shell's guard watches it), and it looks until it has seen none
 * of the session for a second: a shell whose start the engine was still handling when the
 * client died appears after the client is gone. A client that ends normally says so with a
 * line of its own before it closes the keeper's stdin.
 *
 * Arguments: the marker entry of the session's environment; "init" when the session has one.
 */
export const KEEPER_SCRIPT = [
  SESSION_STARTED_FUNCTION,
  'marker=$1; spared=',
  `[ -n "$2" ] && spared="${KEEPER_VARIABLE}=$$"`,
  'echo "$$"',
  `while IFS= read -r line; do [ "$line" = ${KEEPER_DONE} ] && exit 0; done`,
  'quiet=0; i=0',
  'while [ $quiet -lt 10 ] && [ $i -lt 600 ]; do',
  '  if [ $i -ge 20 ]; then sg=KILL; else sg=HUP; fi',
  '  left=$(session_started "$marker" "$spared")',
  '  if [ -z "$left" ]; then quiet=$((quiet + 1)); else quiet=0; kill -$sg $left 2>/dev/null; fi',
  '  sleep 0.1; i=$((i + 1))',
  'done',
  'exit 0',
].join('\n');

/**
 * Sends SIGNAL to what the session started (see KEEPER_SCRIPT for what is spared and why).
 * Arguments: the signal's name, the marker entry, the spared entry (empty: none).
 */
export const SIGNAL_SCRIPT = [SESSION_STARTED_FUNCTION, 'sg=$1; shift', 'left=$(session_started "$@")', '[ -z "$left" ] || kill -$sg $left 2>/dev/null', 'exit 0'].join('\n');

/**
 * The shell's session under the injected init: the command in the foreground (it keeps the
 * terminal), then every process it left is ended and waited for, so that the init reaps them
 * all before it exits; a process still running then would become a zombie of the target's PID 1.
 * Signals only stop the command: this shell must live to sweep.
 */
function sessionScript(shell: string): string {
  return [
    SESSION_SHELL_FUNCTIONS,
    "trap 'true' INT QUIT TERM HUP",
    `if [ $# -eq 0 ]; then set -- ${shellQuote(shell)}; fi`,
    // The guard: if the keeper is gone while the session runs (its client died as this shell
    // was being started), the session ends as the keeper would have ended it.
    `keeper=\${${KEEPER_VARIABLE}:-}; unset ${KEEPER_VARIABLE}`,
    'if [ -n "$keeper" ]; then',
    '  anchor=$$',
    '  ( exec 2>/dev/null </dev/null >/dev/null',
    "    trap '' INT QUIT",
    // Its own sleeps are not the session's: marked, the keeper would end each one, see the
    // session still alive and never end, and this guard waits for the keeper to end.
    `    unset ${MARKER_VARIABLE}`,
    '    read -r self _ </proc/self/stat',
    '    while kill -0 "$keeper"; do sleep 1; done',
    '    sweep HUP "$PPID" "$anchor" "$self" ) &',
    'fi',
    '"$@"',
    'status=$?',
    'sweep KILL "$PPID" "$$"',
    'exit $status',
  ].join('\n');
}

export async function startShell(engine: Engine, request: ShellRequest): Promise<ShellSession> {
  const archive = requireCapability(engine, 'archive', 'find an injected init (sidekick shell)');
  // The shell runs an injected toolbox, which only an injection, held by its lock, makes: an
  // engine that cannot hold the lock is told so before anything is started in the target.
  requireCapability(engine, 'targetLocks', 'run the shell of an injected toolbox (sidekick shell; sidekick inject makes it, under a lock)');
  const target = await engine.findContainer(request.target);
  assertRunning(target, engine.commands);
  // Through the toolbox itself where the archive would add a sidekick to the target (a pod);
  // the archive's way says more when nothing is found (an interrupted injection), and checks a root shell's toolbox.
  const inTarget = request.root || archive.startsSidekick !== true ? undefined : await findToolboxInTarget(engine, target.id, request.prefixes ?? []);
  const { prefix, init, os } = inTarget !== undefined ? { prefix: inTarget.toolbox.prefix, init: inTarget.init, os: inTarget.os } : await findThroughArchive(engine, target, request);
  const targetPath = target.env.find((entry) => entry.startsWith('PATH='))?.slice(5) || DEFAULT_PATH;
  // With an injected OS its own tools must win: busybox's dpkg or tar would break apt.
  const path = os !== undefined ? `${targetPath}:${prefix}/bin` : `${prefix}/bin:${targetPath}`;
  const shell = `${prefix}/bin/sh`;
  const command =
    init !== undefined
      ? [init, '-s', '-g', '--', shell, '-c', sessionScript(shell), 'sidekick', ...request.command]
      : request.command.length === 0
        ? [shell]
        : [shell, '-c', 'exec "$@"', 'sidekick', ...request.command];
  const marker = `${MARKER_VARIABLE}=${randomBytes(8).toString('hex')}`;
  const user = request.root ? { user: '0' } : {};
  // First, so that no moment exists when the shell runs and nothing would end it.
  const keeper = await engine.execInContainer(target.id, {
    command: withEnvironment(prefix, [`PATH=${prefix}/bin`], [shell, '-c', KEEPER_SCRIPT, 'sidekick-keeper', marker, init !== undefined ? 'init' : '']),
    tty: false,
    openStdin: true,
    ...user,
  });
  keeper.stderr.resume();
  let released: Promise<void> | undefined;
  const release = (): Promise<void> => {
    released ??= (async () => {
      keeper.stdin?.end(`${KEEPER_DONE}\n`);
      const ended = await Promise.race([
        keeper.exit.then(() => true, () => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), KEEPER_WAIT_MS).unref()),
      ]);
      if (!ended) keeper.detach();
    })();
    return released;
  };
  const keeperPid = await firstLine(keeper.stdout, KEEPER_WAIT_MS);
  keeper.stdout.resume();
  if (!/^\d+$/.test(keeperPid ?? '')) {
    await release();
    throw new SidekickError('INTERNAL', `the shell's keeper in ${target.name} did not start (it said ${JSON.stringify(keeperPid ?? '')}).`, {
      hint: `Check the injected toolbox (sidekick eject ${target.name}, then inject again); --debug shows details.`,
    });
  }
  let process: ProcessHandle;
  try {
    process = await engine.execInContainer(target.id, {
      command: withEnvironment(prefix, [`PATH=${path}`, `PS1=[sidekick ${target.name}] \\w \\$ `, marker, `${KEEPER_VARIABLE}=${keeperPid}`, ...(request.tty ? [`TERM=${request.term ?? 'xterm'}`] : [])], command),
      tty: request.tty,
      openStdin: request.interactive,
      ...user,
    });
  } catch (error) {
    await release();
    throw error;
  }
  const signal = async (name: 'INT' | 'TERM' | 'HUP'): Promise<void> => {
    const spared = init !== undefined ? `${KEEPER_VARIABLE}=${keeperPid}` : '';
    const killer = await engine.execInContainer(target.id, {
      command: withEnvironment(prefix, [`PATH=${prefix}/bin`], [shell, '-c', SIGNAL_SCRIPT, 'sidekick-signal', name, marker, spared]),
      tty: false,
      openStdin: false,
      ...user,
    });
    killer.stdout.resume();
    killer.stderr.resume();
    await killer.exit;
  };
  return { target, process, prefix, signal, release };
}

/** The toolbox, its init and an OS beside it, through the engine's archive; refuses when there is no usable toolbox. */
async function findThroughArchive(engine: Engine, target: Target, request: ShellRequest): Promise<{ prefix: string; init: string | undefined; os: OsManifest | undefined }> {
  const archive = requireCapability(engine, 'archive', 'find an injected init (sidekick shell)');
  const found = await findInjections(engine, target.id, request.prefixes ?? []);
  if (!found.toolbox && found.incompleteToolbox) {
    throw new SidekickError('INJECTION_REFUSED', `${target.name} has an interrupted injection at ${found.incompleteToolbox.prefix}, not a toolbox that can be used.`, {
      hint: `Run sidekick inject ${target.name} again to complete it, or sidekick eject ${target.name} to remove it.`,
    });
  }
  if (!found.toolbox) {
    throw new SidekickError('INJECTION_REFUSED', `${target.name} has no sidekick toolbox injected.`, {
      hint: `Inject one first (sidekick inject ${target.name}), or use sidekick exec ${target.name}, which writes nothing.`,
    });
  }
  const prefix = found.toolbox.prefix;
  const [init] = await Promise.all([
    // Injections made before the init was part of the toolbox have none: they still work, without reaping.
    archive.statPath(target.id, `${prefix}/${INJECTED_INIT_NAME}`).then((stat) => (stat?.kind === 'file' ? `${prefix}/${INJECTED_INIT_NAME}` : undefined)),
    request.root ? assertRootOwnedToolbox(engine, target.id, prefix) : Promise.resolve(),
  ]);
  return { prefix, init, os: found.os };
}

/**
 * `command` with `env` added to the target's environment by the toolbox's own `env`, not by the
 * exec: a Kubernetes exec cannot set an environment (its API has no field for it), and one way
 * for every engine is one way to test. No word of `command` before its program holds "=".
 */
function withEnvironment(prefix: string, env: string[], command: string[]): string[] {
  return [`${prefix}/bin/env`, ...env, ...command];
}

/** The first line of a stream, without its newline; undefined when it ends or the time is up first. */
function firstLine(stream: NodeJS.ReadableStream, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const finish = (value: string | undefined): void => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.pause();
      resolve(value);
    };
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      const newline = text.indexOf('\n');
      if (newline >= 0) finish(text.slice(0, newline));
    };
    const onEnd = (): void => finish(undefined);
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    stream.on('data', onData);
    stream.on('end', onEnd);
  });
}
