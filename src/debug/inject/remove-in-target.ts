/**
 * Deletion inside a target, done by the injected busybox in the target's own mount namespace
 * (never from the host, DESIGN.md §1.3). Each path is removed as `rm -rf ./NAME` from its parent
 * directory, entered with `cd -P` and checked with `pwd -P`: if a parent is no longer the plain
 * directory the manifest names (the target swapped in a symlink), that path is skipped and
 * reported rather than followed, and `rm` itself never follows a symlink it removes.
 */
import { SidekickError } from '../../core/errors.js';
import type { Engine } from '../../engines/engine.js';
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

const REMOVE_SCRIPT = ['status=0', ...REMOVE_LOOP].join('\n');

/** Exit status of the toolbox script when the prefix holds no manifest of ours. */
const NOT_OURS = 10;

/**
 * For a toolbox, the manifest is checked by the same process that removes it, as three exact
 * lines of what encodeManifest writes: reading it through the engine first would cost a chrooted
 * tar process, a third of eject's time. "$1" is the prefix, "$2" its format line.
 */
const REMOVE_TOOLBOX_SCRIPT = [
  'm="$1/manifest.json"',
  `[ -f "$m" ] && [ ! -L "$m" ] && grep -qxF "$2" "$m" && grep -qxF ' "kind": "toolbox",' "$m" && grep -qxF " \\"prefix\\": \\"$1\\"," "$m" || exit ${NOT_OURS}`,
  'shift 2',
  'status=0',
  ...REMOVE_LOOP,
].join('\n');

/** Removes `paths` (absolute, in order) using the busybox at `busybox` inside the target, as root. */
export async function removeInTarget(engine: Engine, containerId: string, busybox: string, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  const bin = busybox.slice(0, busybox.lastIndexOf('/'));
  const result = await execCapture(engine, containerId, [busybox, 'sh', '-c', REMOVE_SCRIPT, 'sidekick-eject', ...paths], {
    user: '0',
    env: [`PATH=${bin}`],
  });
  if (result.code !== 0) {
    const detail = result.stderr.trim().split('\n').slice(0, 3).join('; ') || `exit status ${result.code}`;
    throw new SidekickError('ENGINE_ERROR', `removing the injection from the target failed: ${detail}`, {
      hint: 'Run sidekick eject again; what is left is listed by sidekick sessions.',
    });
  }
}

/** Removes a toolbox if its manifest is ours; false when it is not (nothing removed). */
export async function removeToolboxInTarget(engine: Engine, containerId: string, prefix: string, formatLine: string): Promise<boolean> {
  await assertRootOwnedToolbox(engine, containerId, prefix);
  const busybox = `${prefix}/bin/busybox`;
  const result = await execCapture(engine, containerId, [busybox, 'sh', '-c', REMOVE_TOOLBOX_SCRIPT, 'sidekick-eject', prefix, formatLine, prefix], {
    user: '0',
    env: [`PATH=${prefix}/bin`],
  });
  if (result.code === NOT_OURS || result.code === 126 || result.code === 127) return false;
  if (result.code !== 0) {
    const detail = result.stderr.trim().split('\n').slice(0, 3).join('; ') || `exit status ${result.code}`;
    throw new SidekickError('ENGINE_ERROR', `removing the toolbox at ${prefix} failed: ${detail}`, {
      hint: 'Run sidekick eject again; what is left is listed by sidekick sessions.',
    });
  }
  return true;
}
