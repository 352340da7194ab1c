/**
 * The shell program a sidekick runs as its first process. It is the "anchor": it stays
 * outside the target's root for the whole session so that `/proc/<anchor>/root` keeps
 * pointing at the toolbox, which is how the target-rooted shell finds its tools without a
 * single file written into the target (DESIGN.md §1.2).
 *
 * Arguments after the script are the user's command ("$@"); empty means a login shell.
 */
export type FilesystemView = 'chroot' | 'toolbox';

export interface ScriptOptions {
  view: FilesystemView;
  /** `target` = PID 1's own uid/gid; `UID[:GID]`; undefined = root. */
  runAs?: string;
  /** Print where the target's files are, for a person at a terminal. */
  announce: boolean;
  /** Shown in the prompt. */
  targetName: string;
}

/** The standard PATH of a Linux userland; the target's own tools win over the toolbox's. */
const TARGET_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export function sidekickScript(options: ScriptOptions): string {
  const lines: string[] = [];
  lines.push('unset SIDEKICK_SCRIPT');
  lines.push('set -u');
  lines.push(runAsLines(options.runAs));
  if (options.view === 'chroot') {
    // A handler rather than "ignore": ignored signals would be inherited by the user's command.
    lines.push("trap 'true' INT QUIT TERM HUP");
    lines.push('anchor=$$');
    lines.push('if [ -n "$uid" ]; then');
    // A process of the user's own uid must own the toolbox view, or that user may not look into it.
    lines.push('  nsenter -S "$uid" -G "$gid" -F sleep 2147483647 & anchor=$!');
    lines.push('fi');
    lines.push('tools=/proc/$anchor/root/bin');
    lines.push(`export PATH="${TARGET_PATH}:$tools"`);
    lines.push(`export PS1=${shellQuote(`[sidekick ${options.targetName}] \\w \\$ `)}`);
    if (options.announce) {
      lines.push(
        'echo "sidekick: / is the root of ' +
          escapeForDoubleQuotes(options.targetName) +
          ' (nothing is written to it); toolbox at $tools, on PATH." >&2',
      );
    }
    lines.push('if [ $# -eq 0 ]; then set -- "$tools/sh"; fi');
    lines.push('if [ -n "$uid" ]; then set -- "$tools/nsenter" -S "$uid" -G "$gid" -F -- "$@"; fi');
    lines.push('chroot /proc/1/root "$@"');
    // Never let the chroot be the shell's last command: busybox sh would exec it and the anchor would vanish.
    lines.push('status=$?');
    lines.push('if [ -n "$uid" ]; then kill "$anchor" 2>/dev/null; fi');
    lines.push('exit $status');
  } else {
    lines.push('[ -e /target ] || ln -s /proc/1/root /target 2>/dev/null');
    lines.push(`export PS1=${shellQuote(`[sidekick ${options.targetName}:toolbox] \\w \\$ `)}`);
    if (options.announce) {
      lines.push(
        'echo "sidekick: the files of ' + escapeForDoubleQuotes(options.targetName) + ' are at /target." >&2',
      );
    }
    lines.push('if [ $# -eq 0 ]; then set -- sh; fi');
    lines.push('if [ -n "$uid" ]; then exec nsenter -S "$uid" -G "$gid" -F -- "$@"; fi');
    lines.push('exec "$@"');
  }
  return lines.join('\n');
}

function runAsLines(runAs: string | undefined): string {
  if (runAs === undefined || runAs === '' || runAs === '0' || runAs === '0:0') return 'uid=; gid=';
  if (runAs === 'target') {
    // Real uid and gid of the target's PID 1, from the second field of its status lines.
    return [
      "uid=$(sed -n 's/^Uid:[[:space:]]*\\([0-9]*\\).*/\\1/p' /proc/1/status)",
      "gid=$(sed -n 's/^Gid:[[:space:]]*\\([0-9]*\\).*/\\1/p' /proc/1/status)",
      'if [ "$uid" = 0 ] && [ "$gid" = 0 ]; then uid=; gid=; fi',
    ].join('\n');
  }
  const [uid, gid] = runAs.split(':');
  return `uid=${uid}; gid=${gid ?? uid}`;
}

export function isValidRunAs(value: string): boolean {
  return value === 'target' || /^\d+(:\d+)?$/.test(value);
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

function escapeForDoubleQuotes(value: string): string {
  return value.replace(/[\\"$`]/g, (c) => `\\${c}`);
}
