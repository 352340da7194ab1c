/**
 * The shell scripts put into a debug copy of a container (docs/ARCHITECTURE.md, "Debug copies"): the copy's first
 * process, which starts the user's shell or command instead of the original entrypoint, and
 * `run-entrypoint`, which runs what the original would have run, on demand.
 *
 * Both live under the copy's private prefix and are run by the toolbox's own shell, so they
 * work in images that have no shell at all.
 */

import { shellQuote } from './shell-word.js';
import { LEASE_VARIABLE } from './lease.js';

/** Where the toolbox goes in a copy; the original is never written to, only the copy. */
export const COPY_PREFIX = '/.sidekick';
export const COPY_TOOLS = `${COPY_PREFIX}/bin`;
/** The copy's first process runs this file with the toolbox's sh. */
export const COPY_START = `${COPY_PREFIX}/start`;
export const RUN_ENTRYPOINT = 'run-entrypoint';

/** The standard PATH of a Linux userland, for images that set none. */
const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The variable that makes the engine's init (tini) forward signals to the whole process group. */
export const TINI_GROUP_VARIABLE = 'TINI_KILL_PROCESS_GROUP';

export interface CopyScriptOptions {
  /** Shown in the prompt, e.g. "copy of web". */
  label: string;
}

/**
 * The copy's first process: the toolbox goes last on PATH (the image's own tools win, as in
 * `exec`), and the user's command, or a shell, replaces it so that its exit status is the
 * container's.
 *
 * With a lease, a guard stays behind in the command's process group. The client renews the
 * lease with SIGURG, which the engine's init forwards to the group; a client killed with -9
 * stops renewing, and the guard hangs the command up, then kills it. The init then ends, the
 * copy's PID namespace with it, and the engine removes the copy (docs/RELIABILITY.md).
 */
export function copyStartScript(options: CopyScriptOptions): string {
  return [
    '# sidekick: first process of a debug copy; the original entrypoint is not started (see run-entrypoint).',
    `export PATH="\${PATH:-${DEFAULT_PATH}}:${COPY_TOOLS}"`,
    `export PS1=${shellQuote(`[sidekick ${options.label}] \\w \\$ `)}`,
    `if [ $# -eq 0 ]; then set -- ${COPY_TOOLS}/sh; fi`,
    `lease=\${${LEASE_VARIABLE}:-}`,
    `unset ${LEASE_VARIABLE} ${TINI_GROUP_VARIABLE}`,
    'if [ -n "$lease" ]; then',
    '  top=$$',
    // Its stderr is closed but for the one line it has to say: a shell killed with its `sleep` would print "Killed".
    '  ( exec 3>&2 2>/dev/null </dev/null >/dev/null',
    "    trap '' INT QUIT",
    "    renewed=1; misses=0; trap 'renewed=1' URG",
    '    while :; do',
    '      sleep 1',
    '      if [ -n "$renewed" ]; then misses=0; renewed=; continue; fi',
    '      misses=$((misses + 1))',
    '      if [ "$misses" -ge "$lease" ]; then',
    '        echo "sidekick: its client stopped answering; ending the copy." >&3',
    '        kill -HUP "$top"; sleep 2; kill -KILL "$top"; exit 0',
    '      fi',
    '    done ) &',
    'fi',
    'exec "$@"',
    '',
  ].join('\n');
}

export interface RunEntrypointOptions {
  entrypoint: string[];
  cmd: string[];
  /** The original's PS1, if it set one; the copy's prompt must not leak into the program. */
  originalPs1?: string;
}

/**
 * `run-entrypoint [ARGS...]`: the original entrypoint with the original command, or with
 * ARGS instead of the command (as `docker run IMAGE ARGS` would), in the environment the
 * original had: the toolbox is taken off PATH again and the prompt is put back.
 */
export function runEntrypointScript(options: RunEntrypointOptions): string {
  const lines = [
    `#!${COPY_TOOLS}/sh`,
    "# sidekick: runs what the original container runs: its entrypoint, then its command or the arguments given.",
    `PATH="\${PATH%:${COPY_TOOLS}}"`,
    options.originalPs1 === undefined ? 'unset PS1' : `PS1=${shellQuote(options.originalPs1)}; export PS1`,
  ];
  if (options.cmd.length > 0) lines.push(`if [ $# -eq 0 ]; then set -- ${options.cmd.map(shellQuote).join(' ')}; fi`);
  if (options.entrypoint.length === 0) {
    lines.push(`if [ $# -eq 0 ]; then echo "${RUN_ENTRYPOINT}: the original has no entrypoint and no command; give one as arguments." >&2; exit 126; fi`);
    lines.push('exec "$@"');
  } else {
    lines.push(`exec ${options.entrypoint.map(shellQuote).join(' ')} "$@"`);
  }
  lines.push('');
  return lines.join('\n');
}
