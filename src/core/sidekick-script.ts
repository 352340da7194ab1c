/**
 * The shell program a sidekick runs under its init (tini -s -g). It is the "anchor": it
 * stays outside the target's root for the whole session so that `/proc/<anchor>/root`
 * keeps pointing at the toolbox, which is how the target-rooted shell finds its tools
 * without a single file written into the target (docs/ARCHITECTURE.md, "the chroot view").
 *
 * It also keeps the session's promises of docs/RELIABILITY.md: it finds the target's own
 * process (never assumes PID 1), ends every process it started before it exits (so the
 * subreaper reaps them and none becomes a zombie of the target's PID 1), and runs a guard
 * that ends the session when the client stops renewing its lease (a CLI killed with -9) or
 * when the engine asks the sidekick to stop.
 *
 * Arguments after the script are the user's command ("$@"); empty means a login shell.
 */
import { shellQuote } from './shell-word.js';
import { LEASE_VARIABLE } from './lease.js';
import { DYNAMIC_VIEW_FUNCTIONS, TOOLBOX_BIN_DIRS, VIEW_APPLETS, VIEW_BIN, VIEW_BUSYBOX } from './dynamic-view.js';
import { SESSION_SHELL_FUNCTIONS, TARGET_ID_VARIABLE, TARGET_PROCESS_MISSING_STATUS, TARGET_SHARES_PID_VARIABLE } from './session-shell.js';

export type FilesystemView = 'chroot' | 'toolbox';


export interface ScriptOptions {
  view: FilesystemView;
  /** `target` = the target process's own uid/gid; `UID[:GID]`; undefined = root. */
  runAs?: string;
  /** Print where the target's files are, for a person at a terminal. */
  announce: boolean;
  /** Shown in the prompt. */
  targetName: string;
  /** Whether an init (tini -s -g) is the sidekick's first process, the anchor's parent. */
  underInit: boolean;
  /**
   * The toolbox is (or may be) dynamically linked: the chroot view runs its programs through
   * its own loader (core/dynamic-view.ts). The script then runs under the static busybox at
   * VIEW_BUSYBOX in the sidekick's own filesystem.
   */
  dynamicView?: boolean;
  /** The sidekick's filesystem holds the view's busybox (VIEW_APPLETS), whatever the view. */
  viewApplets?: boolean;
  /** -w: the absolute directory the command starts in (in the target's root in the chroot view). */
  workdir?: string;
  /**
   * The session has a terminal whose size the engine sets only just after the start (Docker
   * before API 1.42 ignores a size given at create): the command waits for it, up to 1 s, so
   * that its first read of the size is right.
   */
  awaitTerminalSize?: boolean;
}

/** Waits while the controlling terminal's size is still 0x0, when there is one and a stty to ask. */
const AWAIT_TERMINAL_SIZE = [
  'if command -v stty >/dev/null 2>&1 && (: </dev/tty) 2>/dev/null; then',
  '  n=0',
  '  while [ $n -lt 50 ]; do',
  "    case $(stty size </dev/tty 2>/dev/null) in ''|'0 '*|*' 0') ;; *) break ;; esac",
  '    sleep 0.02 2>/dev/null; n=$((n + 1))',
  '  done',
  'fi',
].join('\n');

/**
 * Changes to the -w directory and runs the command: the directory is looked up after the
 * chroot, so inside the target's root, and it is never created there (nothing is written).
 * `sh -c WORKDIR_WRAPPER DIR CMD...`.
 */
export const WORKDIR_WRAPPER = `cd "$0" 2>/dev/null || { echo "sidekick: cannot change to $0 (-w): no such directory there" >&2; exit 126; }; exec "$@"`;

export function sidekickScript(options: ScriptOptions): string {
  const lines: string[] = [];
  lines.push(`unset SIDEKICK_SCRIPT`);
  lines.push('set -u');
  // A handler rather than "ignore": ignored signals would be inherited by the user's command.
  lines.push("trap 'true' INT QUIT TERM HUP URG");
  if (options.awaitTerminalSize) lines.push(AWAIT_TERMINAL_SIZE);
  lines.push(SESSION_SHELL_FUNCTIONS);
  if (options.dynamicView && options.view === 'chroot') lines.push(DYNAMIC_VIEW_FUNCTIONS);
  lines.push(
    `if ! find_target; then echo ${shellQuote(`sidekick: the process of ${options.targetName} was not found in the PID namespace it shares; it may have just stopped.`)} >&2; exit ${TARGET_PROCESS_MISSING_STATUS}; fi`,
  );
  lines.push(`lease=\${${LEASE_VARIABLE}:-}`);
  lines.push(`unset ${TARGET_ID_VARIABLE} ${TARGET_SHARES_PID_VARIABLE} ${LEASE_VARIABLE}`);
  // The root of what this session owns: the init when there is one (orphans are re-parented to it).
  lines.push(options.underInit ? 'root=$PPID' : 'root=$$');
  lines.push(runAsLines(options.runAs));
  lines.push(`wd=${shellQuote(options.workdir ?? '')}`);
  lines.push(GUARD);
  // The guard's own stderr is closed: when a sweep kills its `sleep` an instant before the
  // guard itself, the guard's shell would print "Killed" into the session's output.
  lines.push('guard 2>/dev/null & guard_pid=$!');
  lines.push('anchor=$$');
  if (options.view === 'chroot') {
    lines.push('if [ -n "$uid" ]; then');
    // A process of the user's own uid must own the toolbox view, or that user may not look into it.
    lines.push('  nsenter -S "$uid" -G "$gid" -F sleep 2147483647 & anchor=$!');
    lines.push('fi');
    if (options.dynamicView) {
      lines.push(...dynamicChrootLines(options));
    } else {
      lines.push('tools=/proc/$anchor/root/bin');
      // The toolbox alone: a program the target planted would otherwise run with the sidekick's privileges.
      lines.push('export PATH="$tools"');
      lines.push(`export PS1=${shellQuote(`[sidekick ${options.targetName}] \\w \\$ `)}`);
      if (options.announce) {
        lines.push(
          'echo "sidekick: / is the root of ' +
            escapeForDoubleQuotes(options.targetName) +
            ' (nothing is written to it); PATH holds the toolbox only ($tools): run the target\'s own programs by their path." >&2',
        );
      }
      lines.push('if [ $# -eq 0 ]; then set -- "$tools/sh"; fi');
      lines.push('if [ -n "$uid" ]; then set -- "$tools/nsenter" -S "$uid" -G "$gid" -F -- "$@"; fi');
      lines.push(`if [ -n "$wd" ]; then set -- "$tools/sh" -c ${shellQuote(WORKDIR_WRAPPER)} "$wd" "$@"; fi`);
      lines.push('chroot "/proc/$tp/root" "$@"');
    }
  } else {
    // Re-pointed even when the image has one: an older toolbox's /target names PID 1, which may not be the target.
    lines.push('if [ -L /target ] || [ ! -e /target ]; then ln -sfn "/proc/$tp/root" /target 2>/dev/null; fi');
    lines.push(`export PS1=${shellQuote(`[sidekick ${options.targetName}:toolbox] \\w \\$ `)}`);
    if (options.announce) {
      lines.push(
        'echo "sidekick: the files of ' + escapeForDoubleQuotes(options.targetName) + ' are at /target." >&2',
      );
    }
    if (options.viewApplets) {
      // busybox's applets after the toolbox's own programs; its shell prefers applets, so bash first.
      lines.push(`export PATH="\${PATH:-/usr/sbin:/usr/bin:/sbin:/bin}:${VIEW_APPLETS}"`);
      lines.push('if [ $# -eq 0 ]; then if [ -x /bin/bash ]; then set -- /bin/bash; else set -- sh; fi; fi');
      // By path: this shell (busybox) would run its own applet of that name before PATH is looked at.
      lines.push(`case $1 in */*) ;; *) for d in ${TOOLBOX_BIN_DIRS.join(' ')}; do if [ -x "$d/$1" ]; then first=$1; shift; set -- "$d/$first" "$@"; break; fi; done ;; esac`);
    } else {
      lines.push('if [ $# -eq 0 ]; then set -- sh; fi');
    }
    lines.push('if [ -n "$uid" ]; then set -- nsenter -S "$uid" -G "$gid" -F -- "$@"; fi');
    lines.push(`if [ -n "$wd" ]; then set -- ${options.viewApplets ? `${VIEW_APPLETS}/sh` : 'sh'} -c ${shellQuote(WORKDIR_WRAPPER)} "$wd" "$@"; fi`);
    // Not exec: the anchor must outlive the command to end what it left behind.
    lines.push('"$@"');
  }
  lines.push('status=$?');
  // Everything but the anchor: what the command left, the guard and its sleep, the user's anchor.
  // Without an init, what the command left behind is no longer ours to find: it went to the namespace's PID 1.
  if (options.underInit) lines.push('sweep KILL "$root" "$$"');
  else lines.push('kill -KILL "$guard_pid" 2>/dev/null; if [ "$anchor" != "$$" ]; then kill -KILL "$anchor" 2>/dev/null; fi');
  lines.push('exit $status');
  return lines.join('\n');
}

/**
 * Runs in the background for the whole session. Each second it checks two things: a stop
 * request (TERM or HUP, forwarded by the init to the anchor's process group when the engine
 * stops the sidekick) and, with a lease, that the client renewed it since the last check.
 * Either way it ends the session's processes gracefully and leaves the anchor to finish.
 */
const GUARD = [
  'guard() {',
  '  renewed=1; misses=0; stopping=',
  "  trap 'renewed=1' URG",
  "  trap 'stopping=1' TERM HUP",
  '  read -r self _ </proc/self/stat',
  '  while :; do',
  '    sleep 1',
  '    if [ -n "$stopping" ]; then sweep TERM "$root" "$anchor_pid" "$self"; return 0; fi',
  '    [ -n "$lease" ] || continue',
  '    if [ -n "$renewed" ]; then misses=0; renewed=; continue; fi',
  '    misses=$((misses + 1))',
  '    if [ "$misses" -ge "$lease" ]; then',
  '      echo "sidekick: its client stopped answering; ending the session." >"/proc/$anchor_pid/fd/2"',
  '      sweep TERM "$root" "$anchor_pid" "$self"; return 0',
  '    fi',
  '  done',
  '}',
  'anchor_pid=$$',
].join('\n');

/**
 * The chroot view of a dynamic toolbox: PATH is the view's links to the dispatcher, then
 * busybox's applets, all reached through the anchor's root; the chroot and the change of
 * user are busybox's own, whatever the toolbox holds.
 */
function dynamicChrootLines(options: ScriptOptions): string[] {
  const lines: string[] = [];
  lines.push('if view_setup; then');
  lines.push(`  tools="$tb${VIEW_BIN}"`);
  lines.push(`  export PATH="$tools:$tb${VIEW_APPLETS}"`);
  lines.push(`  export PS1=${shellQuote(`[sidekick ${options.targetName}] \\w \\$ `)}`);
  if (options.announce) {
    lines.push(
      '  echo "sidekick: / is the root of ' +
        escapeForDoubleQuotes(options.targetName) +
        ' (nothing is written to it); PATH holds the toolbox only ($tools): run the target\'s own programs by their path." >&2',
    );
  }
  // The toolbox's bash over busybox's sh, whose applets would hide the toolbox's programs.
  lines.push(`  if [ $# -eq 0 ]; then if [ -L ${VIEW_BIN}/bash ]; then set -- "$tools/bash"; elif [ -L ${VIEW_BIN}/sh ]; then set -- "$tools/sh"; else set -- "$tb${VIEW_APPLETS}/sh"; fi; fi`);
  // By path: busybox's chroot and nsenter would run an applet of that name before PATH is looked at.
  lines.push(`  case $1 in */*) ;; *) if [ -L "${VIEW_BIN}/$1" ]; then first=$1; shift; set -- "$tools/$first" "$@"; fi ;; esac`);
  lines.push(`  if [ -n "$uid" ]; then set -- "$tb${VIEW_BUSYBOX}" nsenter -S "$uid" -G "$gid" -F -- "$@"; fi`);
  lines.push(`  if [ -n "$wd" ]; then set -- "$tb${VIEW_APPLETS}/sh" -c ${shellQuote(WORKDIR_WRAPPER)} "$wd" "$@"; fi`);
  lines.push(`  ${VIEW_BUSYBOX} chroot "/proc/$tp/root" "$@"`);
  lines.push('else');
  lines.push('  ret 125');
  lines.push('fi');
  return lines;
}

function runAsLines(runAs: string | undefined): string {
  if (runAs === undefined || runAs === '' || runAs === '0' || runAs === '0:0') return 'uid=; gid=';
  if (runAs === 'target') {
    // Real uid and gid of the target's own process, from the second field of its status lines.
    return [
      "uid=$(sed -n 's/^Uid:[[:space:]]*\\([0-9]*\\).*/\\1/p' \"/proc/$tp/status\")",
      "gid=$(sed -n 's/^Gid:[[:space:]]*\\([0-9]*\\).*/\\1/p' \"/proc/$tp/status\")",
      'if [ "$uid" = 0 ] && [ "$gid" = 0 ]; then uid=; gid=; fi',
    ].join('\n');
  }
  const [uid, gid] = runAs.split(':');
  return `uid=${uid}; gid=${gid ?? uid}`;
}

export function isValidRunAs(value: string): boolean {
  return value === 'target' || /^\d+(:\d+)?$/.test(value);
}

function escapeForDoubleQuotes(value: string): string {
  return value.replace(/[\\"$`]/g, (c) => `\\${c}`);
}
