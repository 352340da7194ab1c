/**
 * The fast way to remove a toolbox: its own busybox, run in the target's own mount namespace
 * (never from the host, docs/ARCHITECTURE.md, "The target's files"); remove-through-sidekick.ts is the way that does not
 * depend on it. Each path is removed as `rm -rf ./NAME` from its parent
 * directory, entered with `cd -P` and checked with `pwd -P`: if a parent is no longer the plain
 * directory the manifest names (the target swapped in a symlink), that path is skipped and
 * reported rather than followed, and `rm` itself never follows a symlink it removes.
 */
import { isSidekickError } from '../../core/errors.js';
import type { Engine } from '../../engines/engine.js';
import { TOOLBOX_INTENT_NAME, TOOLBOX_MANIFEST_NAME } from '../../core/inject/injection-manifest.js';
import { assertRootOwnedToolbox, execCapture } from './container-files.js';

const REMOVE_LOOP = [
  'for p in "$@"; do',
  '  d=${p%/*}; [ -n "$d" ] || d=/',
  '  n=${p##*/}',
  // A parent that is gone takes its children with it: nothing left to remove.
  '  cd -P -- "$d" 2>/dev/null || continue',
  '  if [ "$(pwd -P)" != "$d" ]; then echo "skipped $p: $d is not a plain directory any more" >&2; status=3; continue; fi',
  '  rm -rf -- "./$n" || status=1',
  'done',
  'exit $status',
];

/** Exit status of the toolbox script when the prefix holds no manifest of ours. */
const NOT_OURS = 10;

/**
 * For a toolbox, the manifest is checked by the same process that removes it, as three exact
 * lines of what encodeManifest writes: reading it through the engine first would cost a chrooted
 * tar process, a third of eject's time. "$1" is the prefix, "$2" its format line.
 */
const REMOVE_TOOLBOX_SCRIPT = [
  `m="$1/${TOOLBOX_MANIFEST_NAME}"`,
  `[ -f "$m" ] && [ ! -L "$m" ] && grep -qxF "$2" "$m" && grep -qxF ' "kind": "toolbox",' "$m" && grep -qxF " \\"prefix\\": \\"$1\\"," "$m" || exit ${NOT_OURS}`,
  'status=0',
  // The records go last: a removal cut short (eject interrupted) leaves files that a record
  // still names as ours, which the next eject recognises and finishes.
  'if cd -P -- "$1" 2>/dev/null && [ "$(pwd -P)" = "$1" ]; then',
  '  for e in * .[!.]* ..?*; do',
  '    case $e in',
  `      ${TOOLBOX_MANIFEST_NAME}|${TOOLBOX_INTENT_NAME}) continue ;;`,
  '    esac',
  '    if [ -e "./$e" ] || [ -L "./$e" ]; then rm -rf -- "./$e" || status=1; fi',
  '  done',
  `  rm -f -- ./${TOOLBOX_INTENT_NAME} || status=1`,
  'fi',
  'shift 2',
  ...REMOVE_LOOP,
].join('\n');

/**
 * Removes a toolbox with its own busybox if its manifest is ours: `not-ours` when it is not
 * (nothing removed), `failed` when the busybox would not run or could not remove it all (a
 * truncated binary, capabilities the target dropped): then a sidekick does it (eject.ts).
 */
/** The script and its arguments, for a test that runs it on the host against a directory of its own. */
export function removeToolboxCommand(prefix: string, formatLine: string): string[] {
  return ['sh', '-c', REMOVE_TOOLBOX_SCRIPT, 'sidekick-eject', prefix, formatLine, prefix];
}

export async function removeToolboxInTarget(engine: Engine, containerId: string, prefix: string, formatLine: string): Promise<'removed' | 'not-ours' | 'failed'> {
  await assertRootOwnedToolbox(engine, containerId, prefix);
  const busybox = `${prefix}/bin/busybox`;
  let result;
  try {
    result = await execCapture(engine, containerId, [busybox, ...removeToolboxCommand(prefix, formatLine)], {
      user: '0',
      env: [`PATH=${prefix}/bin`],
    });
  } catch (error) {
    // An engine whose exec cannot run as root (Kubernetes runs it as the container's user) says
    // so before starting anything: the sidekick, which can, removes it.
    if (isSidekickError(error) && error.code === 'BAD_USAGE') return 'failed';
    throw error;
  }
  if (result.code === NOT_OURS) return 'not-ours';
  return result.code === 0 ? 'removed' : 'failed';
}
