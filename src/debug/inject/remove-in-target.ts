/**
 * Deletion inside a target, done by the injected busybox in the target's own mount namespace
 * (never from the host, DESIGN.md §1.3). Each path is removed as `rm -rf ./NAME` from its parent
 * directory, entered with `cd -P` and checked with `pwd -P`: if a parent is no longer the plain
 * directory the manifest names (the target swapped in a symlink), that path is skipped and
 * reported rather than followed, and `rm` itself never follows a symlink it removes.
 */
import { SidekickError } from '../../core/errors.js';
import type { Engine } from '../../engines/engine.js';
import { execCapture } from './container-files.js';

const REMOVE_SCRIPT = [
  'status=0',
  'for p in "$@"; do',
  '  d=${p%/*}; [ -n "$d" ] || d=/',
  '  n=${p##*/}',
  // A parent that is gone takes its children with it: nothing left to remove.
  '  cd -P -- "$d" 2>/dev/null || continue',
  '  if [ "$(pwd -P)" != "$d" ]; then echo "skipped $p: $d is not a plain directory any more" >&2; status=3; continue; fi',
  '  rm -rf -- "./$n" || status=1',
  'done',
  'exit $status',
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
