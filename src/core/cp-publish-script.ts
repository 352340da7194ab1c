/**
 * The shell program that makes a copy into a running container all-or-nothing
 * (docs/RELIABILITY.md, "cp"). It runs in a sidekick whose `/` is the target's root (the
 * chroot view), so every rename and removal is resolved inside the target, never from the
 * host (docs/ARCHITECTURE.md, "The target's files"). The engine's archive API can write but not rename or delete, hence
 * this helper.
 *
 * It is fed on stdin to the toolbox's own shell and then waits for one more line:
 *   1. makes the staging directory `DIR/.sidekick-cp-<id>` (mode 0700) and prints `ready`, or
 *      prints `fail <reason>` and exits;
 *   2. the CLI uploads into the staging directory through the engine;
 *   3. `publish`: checks that nothing would be refused (a non-directory over a directory, a
 *      directory over a non-directory, anything over a device, FIFO or socket) and prints
 *      `conflict <path>` if so; else moves every entry into DIR by rename, merging directories,
 *      and prints `published`;
 *      `abort`, or the end of its input (the CLI was killed): removes the staging directory.
 * When it removes the staging directory without publishing, it gives DIR back its mtime, so
 * that `docker diff` does not list DIR as changed.
 */
export interface PublishScriptOptions {
  /** The container directory the copy goes into; resolved inside the target's root. */
  directory: string;
  /** The staging directory's name (one component). */
  stagingName: string;
}

export function cpPublishScript(options: PublishScriptOptions): string {
  const staging = `${options.directory.replace(/\/+$/, '')}/${options.stagingName}`;
  return `set -u
t=
IFS=:
for d in $PATH; do case $d in /proc/*/root/*) t=$d; break;; esac; done
unset IFS
if [ -z "$t" ] || [ ! -x "$t/mv" ]; then echo "fail the toolbox is not on PATH"; exit 1; fi
dest=${quote(options.directory)}
stage=${quote(staging)}
state=waiting
mtime=$("$t/stat" -c %Y -- "$dest" 2>/dev/null) || mtime=
isdir() { [ -d "$1" ] && [ ! -L "$1" ]; }
check() {
  local s d
  for s in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    [ -e "$s" ] || [ -L "$s" ] || continue
    d=$2/\${s##*/}
    if [ -L "$d" ]; then
      if isdir "$s"; then echo "conflict a directory cannot replace the symlink $d"; return 1; fi
    elif [ -d "$d" ]; then
      if isdir "$s"; then check "$s" "$d" || return 1; else echo "conflict a non-directory cannot replace the directory $d"; return 1; fi
    elif [ -e "$d" ]; then
      if isdir "$s"; then echo "conflict a directory cannot replace the file $d"; return 1; fi
      if [ ! -f "$d" ]; then echo "conflict $d is a device, FIFO or socket; it is not replaced"; return 1; fi
    fi
  done
}
move() {
  local s d mode time
  for s in "$1"/* "$1"/.[!.]* "$1"/..?*; do
    [ -e "$s" ] || [ -L "$s" ] || continue
    d=$2/\${s##*/}
    if isdir "$s" && isdir "$d"; then
      # The staged directory's mode and mtime go to the merged one, read before its entries move out.
      mode=$("$t/stat" -c %a -- "$s") && time=$("$t/stat" -c %Y -- "$s") || return 1
      move "$s" "$d" || return 1
      "$t/chmod" "$mode" -- "$d" && "$t/touch" -c -d "@$time" -- "$d" && "$t/rmdir" -- "$s" || return 1
    else
      if [ -L "$d" ]; then "$t/rm" -f -- "$d" || return 1; fi
      "$t/mv" -f -- "$s" "$d" || return 1
    fi
  done
}
cleanup() {
  [ "$state" = published ] && { "$t/rm" -rf -- "$stage"; return; }
  [ "$state" = waiting ] && return
  "$t/rm" -rf -- "$stage"
  if [ "$state" = orphaned ]; then
    # The CLI is gone: the engine may still write a last buffered piece of the upload.
    for i in 1 2 3 4 5 6 7 8 9 10; do "$t/sleep" 0.2; if [ -e "$stage" ] || [ -L "$stage" ]; then "$t/rm" -rf -- "$stage"; fi; done
  fi
  if [ -n "$mtime" ]; then "$t/touch" -c -d "@$mtime" -- "$dest"; fi
}
trap cleanup EXIT
# Stopped from outside (the sidekick's guard, when the CLI stopped renewing its lease): clean up all the same.
trap 'exit 143' TERM HUP INT
publish() {
  check "$stage" "$dest" || { state=aborted; exit 3; }
  move "$stage" "$dest" || { echo "fail moving into place failed"; state=aborted; exit 4; }
  state=published
  echo published
  exit 0
}
abort() { state=aborted; exit 0; }
if ! err=$("$t/mkdir" -m 700 -- "$stage" 2>&1); then echo "fail $err"; exit 2; fi
state=orphaned
echo ready
`;
}

function quote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
