import { SESSION_SHELL_FUNCTIONS, TARGET_PROCESS_MISSING_STATUS } from '../core/session-shell.js';

/** The path to list, as the user wrote it (inside the target's root). */
export const LIST_PATH_VARIABLE = 'SIDEKICK_LS_PATH';
/** Set (to 1) for a recursive listing. */
export const LIST_RECURSIVE_VARIABLE = 'SIDEKICK_LS_RECURSIVE';

/** Fields of one entry as busybox `stat -c` writes them: raw mode (hex), uid, gid, size, mtime, links, device major and minor (hex), then %N. */
export const STAT_FORMAT = '@%f %u %g %s %Y %h %t %T %N';

/**
 * The busybox sh program a short-lived sidekick in the target's PID namespace runs to list a
 * directory of a running target: a `stat` of each entry, so that the cost is one directory's
 * metadata whatever lies below it (the archive API would stream the whole subtree, bodies and
 * all). Output is framed as core/framed-dump.ts describes.
 *
 * The target's root is reached through /proc/<pid>/root, where an absolute symlink would
 * resolve in the sidekick's own root: every symlink of the path is followed by hand (`rs`),
 * inside the target's root, and ".." is taken lexically, so that nothing leaves that root.
 * Entries themselves are never followed (`stat` without -L). Per directory:
 *
 *   @@@ n<k>   NUL-separated: the directory's path, ".", then each entry's name
 *   @@@ s<k>   `stat -c STAT_FORMAT` of ".", then of each entry, in that order
 *   @@@ u<k>   instead of both: the directory's path, when it could not be entered
 *
 * Names are passed as they are to one `xargs -0 stat`, so a listing costs a few processes per
 * directory, not one per entry.
 */
export function listScript(): string {
  return [
    SESSION_SHELL_FUNCTIONS,
    `find_target || exit ${TARGET_PROCESS_MISSING_STATUS}`,
    'echo "@@@= target $tp"',
    // The sidekick's own shell and init: they show in the target's /proc, which is not theirs.
    'echo "@@@= ours $$"; echo "@@@= ours $PPID"',
    'R=/proc/$tp/root',
    // rs PATH FOLLOW_LAST: sets $p (no trailing '/', '' for the root) to PATH with its symlinks followed
    // inside $R (the last component's only when FOLLOW_LAST is 1); fails after 40 hops.
    'rs() {',
    '  todo=$1; p=; hops=0',
    '  while [ -n "$todo" ]; do',
    '    c=${todo%%/*}',
    '    if [ "$c" = "$todo" ]; then todo=; else todo=${todo#*/}; fi',
    '    case $c in ""|.) continue ;; ..) p=${p%/*}; continue ;; esac',
    '    if [ -L "$R$p/$c" ] && { [ -n "$todo" ] || [ "$2" = 1 ]; }; then',
    '      hops=$((hops + 1)); [ $hops -le 40 ] || return 1',
    '      t=$(readlink "$R$p/$c") || return 1',
    '      case $t in /*) p= ;; esac',
    '      todo=$t/$todo',
    '    else',
    '      p=$p/$c',
    '    fi',
    '  done',
    '}',
    // The target's own account names, read with builtins only (no process per line), at most 2000 lines each.
    'for a in passwd group; do',
    '  if rs /etc/$a 1 && [ -f "$R$p" ]; then i=0; while [ $i -lt 2000 ] && { IFS= read -r l || [ -n "$l" ]; }; do echo "@@@= $a $l"; i=$((i + 1)); done <"$R$p"; fi',
    'done',
    // ld DIR: lists DIR (inside $R, '' for the root) and, when recursive, each directory in it.
    'n=0',
    'ld() {',
    '  local dir=$1 k',
    '  n=$((n + 1)); k=$n',
    // Framed like the names: a directory's name can hold a newline, which must not start a line of ours.
    '  if ! cd "$R$dir/" 2>/dev/null; then echo "@@@ u$k"; printf \'%s\' "${dir:-/}" | base64; echo "@@@."; return 0; fi',
    '  set --',
    '  for e in * .[!.]* ..?*; do if [ -e "$e" ] || [ -L "$e" ]; then set -- "$@" "$e"; fi; done',
    '  echo "@@@ n$k"; printf \'%s\\0\' "${dir:-/}" . "$@" | base64; echo "@@@."',
    `  echo "@@@ s$k"; printf '%s\\0' . "$@" | xargs -0 stat -c '${STAT_FORMAT}' -- 2>/dev/null | base64; echo "@@@."`,
    `  [ -n "\${${LIST_RECURSIVE_VARIABLE}:-}" ] || return 0`,
    '  for e do shift; if [ -d "$e" ] && [ ! -L "$e" ]; then set -- "$@" "$e"; fi; done',
    '  for e do ld "$dir/$e"; done',
    '}',
    `case \${${LIST_PATH_VARIABLE}} in */) follow=1 ;; *) follow=0 ;; esac`,
    `if ! rs "\${${LIST_PATH_VARIABLE}}" $follow; then echo "@@@= loop 1"; exit 0; fi`,
    'if [ -z "$p" ] || { [ -d "$R$p" ] && [ ! -L "$R$p" ]; }; then ld "$p"; exit 0; fi',
    'if [ ! -e "$R$p" ] && [ ! -L "$R$p" ]; then echo "@@@= missing 1"; exit 0; fi',
    // Not a directory (or a symlink named without a trailing '/'): the entry itself.
    'cd "$R${p%/*}/" || exit 0',
    'e=${p##*/}',
    'echo "@@@ n1"; printf \'%s\\0\' "$p" "$e" | base64; echo "@@@."',
    `echo "@@@ s1"; stat -c '${STAT_FORMAT}' -- "$e" 2>/dev/null | base64; echo "@@@."`,
    'echo "@@@= single 1"',
  ].join('\n');
}
