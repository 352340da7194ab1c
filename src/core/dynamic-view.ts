/**
 * The chroot view for a dynamically linked toolbox (docs/ARCHITECTURE.md, "dynamic
 * toolboxes"). Inside the target's root the kernel would look a toolbox program's ELF
 * interpreter up in the target, where it is missing or not the toolbox's. So every program
 * is started through the toolbox's own loader, reached through /proc/<anchor>/root:
 *
 *   $TB/<loader> --library-path $TB/<lib dirs> --argv0 NAME $TB/<program> ARGS…
 *
 * The session shell (a static busybox in the sidekick's own filesystem) works out, at start
 * and in the sidekick's own root where the toolbox's absolute paths mean what they say:
 * the loader (PT_INTERP of the toolbox's executables), its library directories, where the
 * data that tools read at fixed paths is (CA bundle, terminfo, gconv, gdb's data), and
 * writes one dispatcher script with those facts. The PATH of the view is a directory of
 * relative links to that dispatcher, one per toolbox executable, then busybox's applets.
 * Everything lives under VIEW_DIR in the sidekick's own filesystem; nothing is written to
 * the target.
 */

/** Where the view's pieces live in the sidekick's own filesystem (never the target's). */
export const VIEW_DIR = '/.sidekick-view';
/** A static busybox and a hard link per applet: the session shell and the view's fallbacks. */
export const VIEW_APPLETS = `${VIEW_DIR}/applets`;
export const VIEW_BUSYBOX = `${VIEW_APPLETS}/busybox`;
/** The links to the dispatcher, one per toolbox executable: the view's PATH. */
export const VIEW_BIN = `${VIEW_DIR}/bin`;
/** The dispatcher every link in VIEW_BIN points to; written at session start (it names the anchor). */
export const VIEW_DISPATCHER = '.run';
/** Present in VIEW_BIN when the links were made when the toolbox was built. */
export const VIEW_LINKS_MARKER = '.links';
/** Where a toolbox's executables are, searched in this order (the usual PATH). */
export const TOOLBOX_BIN_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Exit status of a session whose toolbox view could not be set up. */
export const VIEW_SETUP_FAILED_STATUS = 125;

/**
 * `elf_interp FILE`: prints the ELF interpreter (PT_INTERP) of FILE, nothing for a static
 * executable, a script or anything else. Reads the first 4 KiB, where the program headers
 * and the interpreter's path are in every executable a linker makes.
 */
const ELF_INTERP = [
  'elf_interp() {',
  '  od -A n -t u1 -v -N 4096 "$1" 2>/dev/null | awk \'',
  '    { for (i = 1; i <= NF; i++) b[n++] = $i + 0 }',
  '    function u(at, size,   v, k) { v = 0; for (k = size - 1; k >= 0; k--) v = v * 256 + (le ? b[at + k] : b[at + size - 1 - k]); return v }',
  '    END {',
  '      if (n < 64 || b[0] != 127 || b[1] != 69 || b[2] != 76 || b[3] != 70) exit',
  '      wide = b[4] == 2; le = b[5] == 1',
  '      phoff = wide ? u(32, 8) : u(28, 4); esize = u(wide ? 54 : 42, 2); count = u(wide ? 56 : 44, 2)',
  '      for (i = 0; i < count; i++) {',
  '        at = phoff + i * esize',
  '        if (at + esize > n) exit',
  '        if (u(at, 4) != 3) continue',
  '        off = wide ? u(at + 8, 8) : u(at + 4, 4); size = wide ? u(at + 32, 8) : u(at + 16, 4)',
  '        s = ""; for (k = off; k < off + size && k < n && b[k] != 0; k++) s = s sprintf("%c", b[k])',
  '        print s; exit',
  '      }',
  '    }\'',
  '}',
].join('\n');

/**
 * `view_links`: one relative link to the dispatcher per executable of the toolbox, unless
 * the toolbox was built with them. A relative link resolves inside the sidekick's root even
 * when reached from the target's root through /proc/<anchor>/root.
 */
const VIEW_LINKS = [
  'view_links() {',
  `  [ -e ${VIEW_BIN}/${VIEW_LINKS_MARKER} ] && return 0`,
  `  mkdir -p ${VIEW_BIN} || return 1`,
  '  for d in $bins; do',
  '    for f in "$d"/*; do',
  '      n=${f##*/}',
  '      [ -f "$f" ] && [ -x "$f" ] || continue',
  `      [ -L "${VIEW_BIN}/$n" ] || ln -s ${VIEW_DISPATCHER} "${VIEW_BIN}/$n" 2>/dev/null`,
  '    done',
  '  done',
  '}',
].join('\n');

/**
 * `view_setup`: sets $tb (the toolbox as the target's root sees it) and writes the
 * dispatcher. Runs in the sidekick's own root, after $anchor is known.
 */
const VIEW_SETUP = [
  'view_setup() {',
  '  tb=/proc/$anchor/root',
  // Each real directory once: merged-/usr toolboxes have /bin -> usr/bin.
  `  bins=; for d in $(realpath ${TOOLBOX_BIN_DIRS.join(' ')} 2>/dev/null); do case " $bins " in *" $d "*) ;; *) [ "$d" = / ] || bins="$bins $d" ;; esac; done`,
  '  loader=',
  '  for d in $bins; do',
  '    for f in "$d"/*; do',
  '      [ -f "$f" ] && [ -x "$f" ] || continue',
  '      loader=$(elf_interp "$f")',
  '      [ -n "$loader" ] && break 2',
  '    done',
  '  done',
  '  lp=',
  '  if [ -n "$loader" ]; then',
  '    real=$(realpath "$loader" 2>/dev/null)',
  '    if [ -z "$real" ] || [ ! -f "$real" ]; then',
  '      echo "sidekick: the toolbox\'s loader $loader is missing from its image; try --no-chroot." >&2; return 1',
  '    fi',
  '    loader=$real; ld=${loader%/*}; arch=${ld##*/}',
  // glibc's configured directories, then musl's, then the usual ones; each existing one once, resolved.
  '    extra=$(cat /etc/ld.so.conf.d/*.conf /etc/ld-musl-*.path 2>/dev/null | sed -n \'s/[:[:space:]]\\{1,\\}/\\n/g; p\' | grep \'^/\')',
  '    for d in $(realpath "$ld" $extra /lib/$arch /usr/lib/$arch /lib64 /usr/lib64 /lib /usr/lib /usr/local/lib 2>/dev/null); do',
  '      [ -d "$d" ] || continue',
  '      case ":$lp:" in *":$tb$d:"*) ;; *) lp="${lp:+$lp:}$tb$d" ;; esac',
  '    done',
  '  fi',
  '  gcv=; for d in "${ld:-/nonexistent}/gconv" /usr/lib/${arch:-none}/gconv /usr/lib/gconv /usr/lib64/gconv; do [ -d "$d" ] && { gcv=$tb$d; break; }; done',
  '  tid=; for d in /etc/terminfo /lib/terminfo /usr/share/terminfo; do [ -d "$d" ] && tid="${tid:+$tid:}$tb$d"; done',
  '  view_links || { echo "sidekick: could not make the toolbox view in the sidekick\'s own filesystem." >&2; return 1; }',
  `  r=${VIEW_BIN}/${VIEW_DISPATCHER}`,
  '  {',
  `    echo "#!$tb${VIEW_BUSYBOX} sh"`,
  '    echo "tb=\'$tb\' loader=\'$loader\' lp=\'$lp\' bins=\'$bins\'"',
  // Only where the user did not set them: what a tool reads at a fixed path, from the toolbox.
  '    [ -f /etc/ssl/certs/ca-certificates.crt ] && echo "export SSL_CERT_FILE=\\"\\${SSL_CERT_FILE-$tb/etc/ssl/certs/ca-certificates.crt}\\" CURL_CA_BUNDLE=\\"\\${CURL_CA_BUNDLE-$tb/etc/ssl/certs/ca-certificates.crt}\\""',
  '    [ -d /etc/ssl/certs ] && echo "export SSL_CERT_DIR=\\"\\${SSL_CERT_DIR-$tb/etc/ssl/certs}\\""',
  '    [ -n "$tid" ] && echo "export TERMINFO_DIRS=\\"\\${TERMINFO_DIRS-$tid}\\""',
  '    [ -n "$gcv" ] && echo "export GCONV_PATH=\\"\\${GCONV_PATH-$gcv}\\""',
  '    [ -d /usr/share/gdb ] && echo "gdbdata=\'$tb/usr/share/gdb\'"',
  '    for d in /usr/lib/python3*; do [ -f "$d/os.py" ] && { echo "pyhome=\'$tb/usr\'"; break; }; done',
  '    echo "$DISPATCHER"',
  '  } >"$r" && chmod 755 "$r"',
  '}',
].join('\n');

/**
 * The dispatcher: finds the program its link names in the toolbox, follows the toolbox's
 * own symlinks by hand (an absolute one would otherwise resolve in the target), runs a
 * script with its interpreter from the view, and a binary through the loader.
 */
const DISPATCHER = [
  'n=${0##*/}; p=',
  'for d in $bins; do if [ -f "$tb$d/$n" ] || [ -L "$tb$d/$n" ]; then p=$d/$n; break; fi; done',
  'if [ -z "$p" ]; then echo "sidekick: $n is not in the toolbox." >&2; exit 127; fi',
  'i=0',
  'while [ -L "$tb$p" ]; do',
  '  l=$(readlink "$tb$p")',
  '  case $l in /*) p=$l ;; *) p=${p%/*}/$l ;; esac',
  '  i=$((i + 1)); if [ $i -gt 40 ]; then echo "sidekick: $n: too many levels of symbolic links in the toolbox." >&2; exit 126; fi',
  'done',
  'm=; read -r -n 2 m <"$tb$p" 2>/dev/null',
  'if [ "$m" = "#!" ]; then',
  '  read -r l <"$tb$p"; l=${l#??}; l=${l#"${l%%[! 	]*}"}',
  '  i=${l%%[ 	]*}; a=${l#"$i"}; a=${a#"${a%%[! 	]*}"}; a=${a%"${a##*[! 	]}"}',
  '  i=${i##*/}',
  '  if [ "$i" = env ] && [ -n "$a" ]; then i=${a%%[ 	]*}; a=; fi',
  // The interpreter from the view: the toolbox's, else busybox's applet of that name.
  '  v=${0%/*}/$i; [ -L "$v" ] || v=${0%/*}/../applets/$i',
  '  if [ -n "$a" ]; then exec "$v" "$a" "$tb$p" "$@"; fi',
  '  exec "$v" "$tb$p" "$@"',
  'fi',
  '[ -n "$loader" ] || exec "$tb$p" "$@"',
  // glibc's loader would load what the target lists there into a tool of the sidekick's privileges.
  'case $loader in */ld-linux*) if [ -e /etc/ld.so.preload ]; then echo "sidekick: the target has /etc/ld.so.preload, which the toolbox\'s loader would load into $n; use --no-chroot." >&2; exit 126; fi ;; esac',
  'case $n in gdb|gdb-multiarch)',
  '  if [ -n "${gdbdata-}" ]; then set -- --data-directory="$gdbdata" "$@"; fi',
  '  if [ -n "${pyhome-}" ]; then export PYTHONHOME="${PYTHONHOME-$pyhome}"; fi ;;',
  'esac',
  'exec "$tb$loader" --library-path "$lp" --argv0 "$n" "$tb$p" "$@"',
].join('\n');

/** Shell functions for the session script: elf_interp, view_links, view_setup (and $DISPATCHER). */
export const DYNAMIC_VIEW_FUNCTIONS = ['ret() { return "$1"; }', `DISPATCHER='${DISPATCHER.replace(/'/g, `'\\''`)}'`, ELF_INTERP, VIEW_LINKS, VIEW_SETUP].join('\n');
