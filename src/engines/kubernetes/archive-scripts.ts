/**
 * The shell programs of the Kubernetes engine's archive capability (docs/ARCHITECTURE.md,
 * "Kubernetes engine", "The archive through an ephemeral sidekick"). Pure: they are text.
 *
 * One ephemeral sidekick per target and command (the keeper, `keeperArgv`) waits on its stdin;
 * each stat, read or write is an exec in it (`operationArgv`). Both first find the target's own
 * process (`find_target`, as a session does) and then leave the sidekick's root for good:
 * `nsenter -t TP -r` makes the target's root theirs while keeping the working directory, the
 * toolbox's `/bin`, so that `./busybox` can still be started; that shell's first act is `cd /`.
 * From there on every process of theirs has its root, its working directory and its files in
 * the target: a symbolic link the target planted (absolute, `..`, swapped in, or through
 * `/proc/PID/root|cwd|fd` of one of these processes) resolves inside the target's root. The
 * busybox applets are started as `exec -a APPLET /proc/self/exe`, the process's own program,
 * never by a path of the target's. No process of the toolbox's root is left while a tar runs:
 * the engine runs one operation at a time (docs/RELIABILITY.md, "cp on pods").
 */
import { shellQuote } from '../../core/shell-word.js';
import { SESSION_SHELL_FUNCTIONS, TARGET_ID_VARIABLE, TARGET_SHARES_PID_VARIABLE } from '../../core/session-shell.js';

/** What names the target's own process (session-shell.ts, find_target). */
export interface ArchiveTargetRef {
  /** The runtime's ID (cgroups are named after it), used only when the pod shares one PID namespace. */
  targetId: string;
  sharesPid: boolean;
}

/** The exit status of the scripts when the target's process or its /proc cannot be used. */
export const ARCHIVE_SETUP_FAILED = 125;
/** The exit status of an operation on a path that is not there (or not a directory for a write). */
export const ARCHIVE_PATH_MISSING = 2;
/** The unpacker (native/sidekick-unpack.c) as the keeper keeps it, in its own /bin beside the busybox. */
export const UNPACKER_NAME = 'sidekick-unpack';

/**
 * An exec in the keeper, in its own root (not the target's): the unpacker from stdin into its
 * /bin, kept only when it runs here (the node's architecture, a kernel with openat2). Its size
 * is the argument: the end of an exec's stdin does not reach every cluster (channel protocol v4
 * has no close), so exactly that many bytes are read.
 */
export const UNPACKER_INSTALL_SCRIPT = [
  'cd /bin || exit 1',
  `head -c "$1" > .${UNPACKER_NAME}.part && [ "$(wc -c < .${UNPACKER_NAME}.part)" -eq "$1" ] && chmod 700 .${UNPACKER_NAME}.part && ./.${UNPACKER_NAME}.part --check && mv -f .${UNPACKER_NAME}.part ${UNPACKER_NAME} && exit 0`,
  `rm -f .${UNPACKER_NAME}.part; exit 1`,
].join('\n');

/** The applets a `script` operation's program may run (busybox sh's own builtins aside). */
export const SCRIPT_APPLETS = ['rm', 'rmdir', 'tr', 'cat', 'ls', 'mkdir', 'mv', 'stat', 'readlink', 'find', 'sed', 'grep', 'head', 'wc'] as const;

/** The line the keeper writes once it is inside the target's root. */
export const KEEPER_READY = 'ready';

/**
 * The part both programs share, in the toolbox's root: finds the target's process, checks that
 * the target's /proc is the kernel's for this PID namespace (its `self/stat` names this shell,
 * which no file made in advance can), then enters the target's root keeping the working
 * directory (the toolbox's /bin) and runs `inner` in the toolbox's busybox sh.
 */
function hop(target: ArchiveTargetRef, inner: string): string {
  return [
    `${TARGET_ID_VARIABLE}=${shellQuote(target.targetId)}`,
    `${TARGET_SHARES_PID_VARIABLE}=${target.sharesPid ? '1' : ''}`,
    SESSION_SHELL_FUNCTIONS,
    `find_target || { echo "sidekick: the target's own process is not running" >&2; exit ${ARCHIVE_SETUP_FAILED}; }`,
    // The shell itself opens the file (a builtin's redirection): "self" is this shell.
    `me=; read -r me _ <"/proc/$tp/root/proc/self/stat" 2>/dev/null`,
    `[ "$me" = "$$" ] || { echo "sidekick: the target's /proc is not this PID namespace's" >&2; exit ${ARCHIVE_SETUP_FAILED}; }`,
    `cd /bin && [ -f busybox ] || { echo "sidekick: the toolbox has no /bin/busybox" >&2; exit ${ARCHIVE_SETUP_FAILED}; }`,
    `exec ./busybox nsenter -t "$tp" -r ./busybox sh -c ${shellQuote(inner)} sidekick-archive "$@"`,
  ].join('\n');
}

/** The first lines of every program in the target's root: out of the toolbox's /bin at once. */
const ENTER = [`cd / || exit ${ARCHIVE_SETUP_FAILED}`, 'bb() { a_=$1; shift; exec -a "$a_" /proc/self/exe "$@"; }'];

/**
 * The keeper: the ephemeral container's command. Once in the target's root it says so and
 * waits for its stdin to end (the CLI's engine closing, or the CLI gone: stdinOnce).
 */
export function keeperArgv(target: ArchiveTargetRef): string[] {
  const inner = [...ENTER, `echo ${KEEPER_READY}`, 'while read -r _; do :; done'].join('\n');
  return ['sh', '-c', hop(target, inner), 'sidekick-archive-keeper'];
}

/**
 * What an operation does in the target's root:
 * - `stat PATH...`: for each path, `stat MODEHEX SIZE MTIME` on a line (lstat, the parents
 *   followed inside the root), or `absent`; for a symbolic link then its full resolution and
 *   its own text, each ended by a NUL (readlink's newline kept). One record after another.
 * - `get DIR BASE`: a tar of BASE (not followed when it is a link) with DIR as working
 *   directory; BASE "." is a directory's contents.
 * - `put DIR`: unpacks the tar on stdin into DIR, owners kept by number.
 * - `pinned BASE REL CHECKED EXPECTED` (pinned-upload.ts): enters BASE with its links followed
 *   and says `base PHYSICAL` (it must be EXPECTED when given), then enters REL below it, which
 *   must hold no link (`pwd -P`); CHECKED, when given, must be absent or a directory that is not
 *   a link; then unpacks the tar on stdin there, as `put`.
 * - `script END PROGRAM ARGS...`: PROGRAM run with ARGS as `$@`, the toolbox's applets in
 *   SCRIPT_APPLETS as commands, and as its input the lines of stdin before the line END (the
 *   rootScripts capability).
 * - `walk`: every path of the target's root filesystem, each ended by a NUL.
 * - `unpack DIR`: the keeper's unpacker writes the tar on stdin below DIR, checking every
 *   entry's directory as it goes (native/sidekick-unpack.c); absent, the operation fails.
 */
export const OPERATIONS_SCRIPT = [
  // The unpacker, which the keeper was given (UNPACKER_INSTALL_SCRIPT), is started before ENTER
  // leaves the toolbox's /bin: its working directory is that /bin, its root already the target's.
  `[ "$1" = unpack ] && [ -f ./${UNPACKER_NAME} ] && exec ./${UNPACKER_NAME} "$2"`,
  ...ENTER,
  'stat_one() {',
  '  m_=$(bb stat -c "%f %s %Y" -- "$1" 2>/dev/null) || { echo absent; return 0; }',
  '  echo "stat $m_"',
  '  set -- "$1" $m_',
  '  [ $(( 0x$2 & 0xF000 )) -eq $(( 0xA000 )) ] || return 0',
  '  (bb readlink -f -- "$1"); printf "\\0"; (bb readlink -- "$1"); printf "\\0"',
  '}',
  'op=$1; shift',
  'case $op in',
  'stat) for p_ in "$@"; do stat_one "$p_"; done ;;',
  'get)',
  `  [ -e "$1" ] || [ -L "$1" ] || { echo "Could not find the file $1 in container" >&2; exit ${ARCHIVE_PATH_MISSING}; }`,
  '  bb tar -c -f - -C "$2" "$3" ;;',
  'put)',
  `  [ -d "$1" ] || { echo "Could not find the directory $1 in container" >&2; exit ${ARCHIVE_PATH_MISSING}; }`,
  '  bb tar -x -f - -C "$1" --numeric-owner ;;',
  // -xdev: a mount point is listed, not entered (the kernel's /proc, a volume, a mounted /etc/hosts).
  'walk) bb find / -xdev -print0 ;;',
  // The applets a program may name, as functions (no directory of them is reachable from here).
  'script)',
  `  for a_ in ${SCRIPT_APPLETS.join(' ')}; do eval "$a_() { (bb $a_ \\"\\$@\\"); }"; done`,
  // Its input ends at the line END: the end of an exec's stdin does not reach every cluster.
  '  e_=$1; s_=$2; shift 2',
  '  while IFS= read -r l_ && [ "$l_" != "$e_" ]; do printf "%s\\n" "$l_"; done | eval "$s_" ;;',
  `unpack) echo "sidekick-archive: the archive sidekick has no unpacker" >&2; exit ${ARCHIVE_SETUP_FAILED} ;;`,
  'pinned)',
  `  cd -P -- "$1" 2>/dev/null || { echo "Could not find the directory $1 in container" >&2; exit ${ARCHIVE_PATH_MISSING}; }`,
  '  b_=$(pwd -P); [ -z "$4" ] || [ "$b_" = "$4" ] || { echo "$1 is not a directory that stays put (it led to $4, now to $b_)" >&2; exit 3; }',
  '  echo "base $b_"; b_=${b_%/}',
  '  if [ -n "$2" ]; then { cd -P -- "./$2" 2>/dev/null && [ "$(pwd -P)" = "$b_/$2" ]; } || { echo "$b_/$2 is not a directory (any more), or leads elsewhere" >&2; exit 3; }; fi',
  '  if [ -n "$3" ] && { [ -L "./$3" ] || { [ -e "./$3" ] && [ ! -d "./$3" ]; }; }; then echo "cannot overwrite non-directory $b_/${2:+$2/}$3 with directory" >&2; exit 3; fi',
  '  bb tar -x -f - --numeric-owner ;;',
  `*) exit ${ARCHIVE_SETUP_FAILED} ;;`,
  'esac',
].join('\n');

export type ArchiveOperation =
  | { op: 'stat'; paths: string[] }
  | { op: 'get'; path: string; directory: string; base: string }
  | { op: 'put'; directory: string }
  | { op: 'pinned'; base: string; relative: string; checked: string; expectedBase: string }
  | { op: 'unpack'; directory: string }
  | { op: 'walk' }
  | { op: 'script'; end: string; script: string; args: string[] };

/** The exec's command line for one operation. */
export function operationArgv(target: ArchiveTargetRef, operation: ArchiveOperation): string[] {
  const args = argumentsOf(operation);
  return ['sh', '-c', hop(target, OPERATIONS_SCRIPT), 'sidekick-archive', operation.op, ...args];
}

function argumentsOf(operation: ArchiveOperation): string[] {
  switch (operation.op) {
    case 'stat':
      return operation.paths;
    case 'get':
      return [operation.path, operation.directory, operation.base];
    case 'put':
      return [operation.directory];
    case 'pinned':
      return [operation.base, operation.relative, operation.checked, operation.expectedBase];
    case 'unpack':
      return [operation.directory];
    case 'walk':
      return [];
    case 'script':
      return [operation.end, operation.script, ...operation.args];
  }
}

/**
 * Where a read of `path` starts and what it names, as the Docker engine splits it: a path
 * ending in "/" or "/." is the contents of the directory it leads to (followed even when it
 * is a link); otherwise its last component, never followed.
 */
export function splitArchivePath(path: string): { directory: string; base: string } {
  const absolute = path.startsWith('/') ? path : `/${path}`;
  if (/\/\.?$/.test(absolute)) {
    const directory = absolute.replace(/\/\.?$/, '').replace(/\/+$/, '');
    return { directory: directory === '' ? '/' : directory, base: '.' };
  }
  const trimmed = absolute.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  const directory = trimmed.slice(0, slash) || '/';
  const name = trimmed.slice(slash + 1);
  // A name starting with "-" would be read as an option by tar.
  return { directory, base: name.startsWith('-') ? `./${name}` : name };
}
