/**
 * Shell building blocks shared by every program a sidekick runs (busybox sh), for the two
 * promises of docs/RELIABILITY.md: the right target, and nothing left in it.
 *
 * - The right target: when the target shares another container's PID namespace (or the
 *   host's), the namespace's PID 1 is someone else's. The target's own first process is the
 *   oldest live process whose cgroup names the target's container ID: cgroup files are
 *   written by the kernel, so the target cannot forge them, and they carry the ID whether
 *   the engine is local or remote, cgroup v1 or v2.
 * - Nothing left: the sidekick's first process is a child subreaper (tini -s), so orphans
 *   are re-parented to it instead of to the target's PID 1 (which never reaps). Before the
 *   session's shell exits it kills every other process of the sidekick and waits until each
 *   has ended, so that the subreaper reaps them all before it exits in turn; a process left
 *   running at that moment would be re-parented to the target's PID 1 and stay a zombie.
 */

/** Environment variables a sidekick reads its target from. */
export const TARGET_ID_VARIABLE = 'SIDEKICK_TARGET_ID';
/** Set (to 1) when the target's PID namespace is not its own, so PID 1 is not the target. */
export const TARGET_SHARES_PID_VARIABLE = 'SIDEKICK_TARGET_SHARES_PID';

/** Exit status of a sidekick that could not find its target's process. */
export const TARGET_PROCESS_MISSING_STATUS = 125;

/**
 * Defines `find_target` (sets $tp to the target's own PID as this namespace numbers it) and
 * `sweep SIGNAL ROOT CUT KEEP...` (ends the session's other processes, see session_procs).
 */
export const SESSION_SHELL_FUNCTIONS = [
  'find_target() {',
  '  tp=1',
  `  [ -n "\${${TARGET_SHARES_PID_VARIABLE}:-}" ] || return 0`,
  '  tp=; best=',
  // One grep for all processes; a file per process would cost a fork each.
  `  for f in $(grep -l -F "\${${TARGET_ID_VARIABLE}}" /proc/[0-9]*/cgroup 2>/dev/null); do`,
  '    p=${f#/proc/}; p=${p%/cgroup}',
  '    read -r l <"/proc/$p/stat" 2>/dev/null || continue',
  // Fields after the command name (which may hold spaces and parentheses): state is 3, starttime 22.
  '    set -- ${l##*") "}',
  '    [ "$1" = Z ] && continue',
  '    if [ -z "$best" ] || [ "${20}" -lt "$best" ]; then best=${20}; tp=$p; fi',
  '  done',
  '  [ -n "$tp" ]',
  '}',
  // session_procs ROOT CUT KEEP...: the live descendants of ROOT, except CUT with everything under it
  // (the caller, whose own short-lived children must not be listed) and the KEEP processes.
  'session_procs() {',
  '  r_=$1; c_=$2; shift 2',
  '  cat /proc/[0-9]*/stat 2>/dev/null | awk -v root="$r_" -v cut="$c_" -v keep=" $* " \'',
  '    { s = $0; sub(/^[^ ]* \\(.*\\) /, "", s); split(s, f, " "); parent[$1] = f[2]; state[$1] = f[1] }',
  '    END {',
  '      mine[root] = 1',
  '      do { grown = 0; for (p in parent) if (!(p in mine) && p != cut && (parent[p] in mine)) { mine[p] = 1; grown = 1 } } while (grown)',
  '      for (p in mine) if (p != root && index(keep, " " p " ") == 0 && state[p] != "Z") print p',
  '    }\'',
  '}',
  // sweep SIGNAL ROOT CUT KEEP...: signals those processes until none is left alive; escalates to KILL after ~2 s.
  'sweep() {',
  '  sg=$1; shift; n=0',
  '  while :; do',
  '    ps_=$(session_procs "$@")',
  '    [ -z "$ps_" ] && return 0',
  '    if [ "$sg" = KILL ]; then kill -KILL $ps_ 2>/dev/null; else kill -HUP $ps_ 2>/dev/null; kill -TERM $ps_ 2>/dev/null; fi',
  '    n=$((n + 1)); [ $n -ge 100 ] && sg=KILL',
  '    sleep 0.02',
  '  done',
  '}',
].join('\n');
