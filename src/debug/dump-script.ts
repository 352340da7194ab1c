import { SESSION_SHELL_FUNCTIONS, TARGET_PROCESS_MISSING_STATUS } from '../core/session-shell.js';

/**
 * The busybox sh programs a short-lived sidekick runs to copy a target's /proc (and a few
 * files of its root) to stdout, framed as core/framed-dump.ts describes. They only read.
 *
 * Paths in the target's root are reached through /proc/<pid>/root. An absolute symlink
 * met there would resolve in the sidekick's own root, so the last component of each path
 * is followed by hand (`rp`), inside the target's root; a path with a symlinked parent
 * directory or a ".." is not read at all (`pc`), since it could resolve outside that root.
 */
export interface TargetDumpParts {
  /** Every process: stat, status, cmdline, socket fds, mount namespace. */
  processes: boolean;
  /** PID 1's environment, exe, cwd, namespaces, mounts, sockets, LSM label, cgroup limits. */
  details: boolean;
  /** Shells, os-release, passwd/group, image kind hints, top-level sizes. */
  filesystem: boolean;
  /** passwd/group only (for user names in `ps`). */
  accounts: boolean;
}

const SHELLS = ['/bin/sh', '/bin/bash', '/bin/ash', '/bin/dash', '/bin/zsh', '/usr/bin/sh', '/usr/bin/bash', '/usr/bin/zsh', '/bin/busybox'];
const PACKAGE_MANAGERS = ['/usr/bin/apt-get', '/sbin/apk', '/usr/bin/dnf', '/usr/bin/yum', '/usr/bin/microdnf', '/usr/bin/zypper', '/usr/bin/pacman'];
const LIBC = [
  '/lib/x86_64-linux-gnu/libc.so.6',
  '/usr/lib/x86_64-linux-gnu/libc.so.6',
  '/lib/aarch64-linux-gnu/libc.so.6',
  '/usr/lib/aarch64-linux-gnu/libc.so.6',
  '/lib64/libc.so.6',
  '/usr/lib64/libc.so.6',
  '/lib/libc.so.6',
  '/lib/ld-musl-x86_64.so.1',
  '/lib/ld-musl-aarch64.so.1',
];
const CGROUP_V2_FILES = ['memory.max', 'memory.current', 'cpu.max', 'cpu.stat', 'pids.max', 'pids.current'];
const CGROUP_V1_FILES = [
  'memory/memory.limit_in_bytes',
  'memory/memory.usage_in_bytes',
  'cpu/cpu.cfs_quota_us',
  'cpu/cpu.cfs_period_us',
  'cpuacct/cpuacct.usage',
  'pids/pids.max',
  'pids/pids.current',
];
/** Caps what one file may add to the dump: passwd files and the like are small; a hostile one is not. */
const MAX_FILE_BYTES = 1024 * 1024;

export const DUMP_HELPERS = [
  // d KEY FILE: a file as one section; '@@@!' when it cannot be read (entirely).
  `d() { echo "@@@ $1"; if base64 2>/dev/null <"$2"; then :; else echo '@@@!'; fi; echo '@@@.'; }`,
  // c KEY CMD...: a command's output as one section.
  `c() { k=$1; shift; echo "@@@ $k"; "$@" 2>/dev/null | base64; echo '@@@.'; }`,
  // rp PATH: sets $p to PATH with its last component's symlinks followed inside $R (at most 16 hops).
  // It sets a variable rather than printing: a $(…) per path would fork once per candidate file.
  `rp() { p=$1; n=0; while [ -L "$R$p" ] && [ $n -lt 16 ]; do t=$(readlink "$R$p"); case $t in /*) p=$t ;; *) p=\${p%/*}/$t ;; esac; n=$((n+1)); done; }`,
  // pc: succeeds only when $p has no ".." and no symlinked parent directory inside $R: those
  // would resolve outside the target's root (in the sidekick's, or through /proc/<pid>/root/..).
  `pc() { case /$p/ in */../*) return 1 ;; esac; if [ -L "$R$p" ]; then return 1; fi; q=$R; r=\${p#/}; while [ "\${r#*/}" != "$r" ]; do q=$q/\${r%%/*}; if [ -L "$q" ]; then return 1; fi; r=\${r#*/}; done; return 0; }`,
  // f KEY PATH: a regular file of the target's root, cut at MAX_FILE_BYTES.
  `f() { rp "$2"; if pc && [ -f "$R$p" ]; then c "$1" head -c ${MAX_FILE_BYTES} "$R$p"; fi; }`,
  // x KEY PATH...: names each PATH that is an executable file in the target's root.
  `x() { k=$1; shift; for s in "$@"; do rp "$s"; if pc && [ -f "$R$p" ] && [ -x "$R$p" ]; then echo "@@@= $k $s"; fi; done; }`,
].join('\n');

/**
 * Adds a file of the target's root to $files (for the one grep) and names its path in the
 * scalar KEY, when the path after symlinks is made of plain characters only: the grep output
 * is split at the first ':' after the name, so no name may hold one (or a space, or a newline).
 */
const ADD_ROOT_FILE = `g() { rp "$2"; case $p in *[!A-Za-z0-9._/-]*) ;; *) if [ -f "$R$p" ]; then files="$files $R$p"; echo "@@@= $1 $R$p"; fi ;; esac; }`;

/**
 * For a sidekick that shares the target's PID namespace: the target's own process is
 * /proc/$tp, found by find_target (core/session-shell.ts); PID 1 only when the namespace is
 * the target's own.
 * Text files are all read by ONE `grep -H ''` at the end (section "lines", split with
 * splitGrepOutput); only files holding NULs (cmdline, environ) get a section each. A process
 * per file would make the dump cost more than the sidekick's start.
 */
export function targetDumpScript(parts: TargetDumpParts): string {
  const lines = [
    DUMP_HELPERS,
    ADD_ROOT_FILE,
    SESSION_SHELL_FUNCTIONS,
    `find_target || exit ${TARGET_PROCESS_MISSING_STATUS}`,
    'echo "@@@= target $tp"',
    'R=/proc/$tp/root',
    'files=',
    'echo "@@@= self $$"',
    // Builtins only: a $(sed …) would be one more process.
    'while read -r k v; do if [ "$k" = btime ]; then echo "@@@= btime $v"; break; fi; done </proc/stat',
  ];
  if (parts.processes) {
    lines.push(
      // Left unexpanded here: the glob is expanded when $files is, at the grep.
      // cgroup says which container each process belongs to, when several share the namespace.
      "files='/proc/[0-9]*/stat /proc/[0-9]*/status /proc/[0-9]*/cgroup'",
      // cmdline holds NULs, which grep cannot carry: one small read per process.
      'for p in /proc/[0-9]*; do i=${p#/proc/}; [ "$i" = "$$" ] || d "$i/cmdline" "$p/cmdline"; done',
      // A process per target process only when that one call fails (thousands of fds can pass the
      // argument limit); what is listed twice then is harmless, the decoder keeps each link once.
      'echo "@@@ links"',
      "{ stat -c '%N' /proc/[0-9]*/fd/* /proc/[0-9]*/ns/mnt 2>/dev/null || for p in /proc/[0-9]*; do stat -c '%N' $p/fd/* $p/ns/mnt 2>/dev/null; done; } | base64",
      "echo '@@@.'",
    );
  }
  if (parts.details) {
    lines.push(
      'd environ /proc/$tp/environ',
      "c pid1links stat -c '%N' /proc/$tp/exe /proc/$tp/cwd /proc/$tp/ns/*",
      'files="$files /proc/$tp/mountinfo /proc/$tp/cgroup /proc/$tp/attr/current /proc/$tp/uid_map"',
      'files="$files /proc/$tp/net/tcp /proc/$tp/net/tcp6 /proc/$tp/net/udp /proc/$tp/net/udp6 /proc/$tp/net/unix"',
      // Resource limits, the routes and IPv6 addresses of the network namespace.
      'files="$files /proc/$tp/limits /proc/$tp/net/route /proc/$tp/net/if_inet6"',
      // The target's own cgroup files, through its mounts; v2 with a host cgroup namespace shows the whole tree.
      'C=$R/sys/fs/cgroup',
      'cg=; while IFS= read -r l; do case $l in 0::*) cg=${l#0::} ;; esac; done </proc/$tp/cgroup',
      'v2=; for b in "$C$cg" "$C"; do if [ -f "$b/cgroup.controllers" ]; then v2=$b; break; fi; done',
      'if [ -n "$v2" ]; then echo "@@@= cgroup 2"; for g in ' + CGROUP_V2_FILES.join(' ') + '; do r=$v2/$g; case $r in *[!A-Za-z0-9._/-]*) ;; *) if [ -f "$r" ]; then files="$files $r"; echo "@@@= cg:$g $r"; fi ;; esac; done',
      'else echo "@@@= cgroup 1"; for g in ' + CGROUP_V1_FILES.join(' ') + '; do r=$C/$g; if [ -f "$r" ]; then files="$files $r"; echo "@@@= cg:$g $r"; fi; done',
      'fi',
    );
  }
  if (parts.accounts || parts.filesystem) lines.push('g file:/etc/passwd /etc/passwd', 'g file:/etc/group /etc/group');
  if (parts.filesystem) {
    lines.push(
      'g file:/etc/os-release /etc/os-release',
      'g file:/usr/lib/os-release /usr/lib/os-release',
      `x shell ${SHELLS.join(' ')}`,
      `x pkg ${PACKAGE_MANAGERS.join(' ')}`,
      `x libc ${LIBC.join(' ')}`,
      // Top-level directories and files, each on its own filesystem (-x). Mount points are left out, so that
      // du never walks a volume or a bind mount (a large one would cost minutes): they are not the image.
      // The list is read with builtins only. One du for all.
      "mp=' '; while read -r _ _ _ _ m _; do mp=\"$mp$m \"; done </proc/$tp/mountinfo",
      'set --; for e in "$R"/* "$R"/.[!.]*; do n=${e#"$R"/}; case $n in proc|sys|dev) continue ;; esac',
      '  case $mp in *" /$n "*) continue ;; esac',
      '  if { [ -d "$e" ] || [ -f "$e" ]; } && [ ! -L "$e" ]; then set -- "$@" "$e"; fi; done',
      `echo "@@@ du"; if [ $# -gt 0 ]; then du -sxk "$@" 2>/dev/null | base64; fi; echo '@@@.'`,
    );
  }
  // Unquoted on purpose: split into names (all plain) and the globs expanded now.
  lines.push("c lines grep -H '' $files");
  return lines.join('\n');
}

/**
 * For one sidekick in the engine host's PID namespace, reading many containers at once:
 * $TARGETS holds their host PIDs. Every text file goes through ONE `grep -H ''` (section
 * "lines", split by splitGrepOutput): a process per file per container would cost more than
 * everything else together. passwd and group are read only when their path (after
 * symlinks) is made of plain characters, so that no name can confuse that split; the path
 * used is given as the scalar "<pid>/passwd" or "<pid>/group".
 */
export function hostDumpScript(): string {
  return [
    DUMP_HELPERS,
    'files=',
    'for h in $TARGETS; do',
    '  R=/proc/$h/root',
    '  files="$files /proc/$h/status /proc/$h/net/tcp /proc/$h/net/tcp6 /proc/$h/net/udp /proc/$h/net/udp6"',
    '  for a in passwd group; do rp /etc/$a',
    '    case $p in *[!A-Za-z0-9._/-]*) ;; *) if pc && [ -f "$R$p" ]; then files="$files $R$p"; echo "@@@= $h/$a $R$p"; fi ;; esac',
    '  done',
    `  x "$h/shell" ${SHELLS.join(' ')}`,
    'done',
    // Unquoted on purpose: the list is split into arguments; every name in it is plain.
    "c lines grep -H '' $files",
  ].join('\n');
}
