/**
 * After an OS injection, new files can appear in directories the target already had (/etc is
 * one in every container: the engine mounts hosts, hostname and resolv.conf there). eject must
 * tell the package manager's (removed with the OS) from the application's (kept and listed).
 * The engine's diff says what is new since the injection; the package manager's own records
 * say what is its: a path dpkg lists as a package's file (/var/lib/dpkg/info/*.list), one its
 * maintainer scripts or conffiles name (postinst writes /etc/ca-certificates.conf, for
 * example), or one apk's database lists. The records are read inside the target by the
 * injected busybox, before the OS is removed.
 */
import { OS_MANIFEST_PATH, type OsManifest } from '../../core/inject/injection-manifest.js';
import { isUnderAny } from '../../core/inject/os-conflict-plan.js';
import type { Engine } from '../../engines/engine.js';
import { execCapture } from './container-files.js';

const ATTRIBUTE_SCRIPT = [
  'info=/var/lib/dpkg/info',
  'for p in "$@"; do',
  '  rel=${p#/}',
  '  if [ -d "$info" ] && { grep -qsxF -- "$p" "$info"/*.list || grep -qsF -- "$p" "$info"/*.postinst "$info"/*.preinst "$info"/*.conffiles "$info"/*.triggers; }; then echo "pm $p"',
  '  elif [ -f /lib/apk/db/installed ] && grep -qsF -- "$rel" /lib/apk/db/installed; then echo "pm $p"',
  '  else echo "other $p"; fi',
  'done',
].join('\n');

export interface LaterAdditions {
  packageManager: string[];
  other: string[];
}

export async function attributeLaterAdditions(engine: Engine, containerId: string, manifest: OsManifest, busybox: string, toolboxPrefix: string): Promise<LaterAdditions> {
  const baseline = new Set(manifest.baselineAdded);
  const ours = [...manifest.createdRoots, OS_MANIFEST_PATH, toolboxPrefix];
  const added = (await engine.filesystemChanges(containerId))
    .filter((change) => change.kind === 'added' && !baseline.has(change.path) && !isUnderAny(change.path, ours))
    .map((change) => change.path)
    .sort();
  // The topmost new path stands for everything below it.
  const units = added.filter((path, i) => !added.slice(0, i).some((earlier) => path.startsWith(`${earlier}/`)));
  // The target names these files: a newline in a name could forge an answer line ("pm /usr"),
  // so such names are never asked about, only kept.
  const askable = units.filter((path) => !path.includes('\n'));
  if (askable.length === 0) return { packageManager: [], other: units };
  const bin = busybox.slice(0, busybox.lastIndexOf('/'));
  const result = await execCapture(engine, containerId, [busybox, 'sh', '-c', ATTRIBUTE_SCRIPT, 'sidekick-attribute', ...askable], {
    user: '0',
    env: [`PATH=${bin}`],
  });
  const packageManager: string[] = [];
  const other: string[] = [];
  const asked = new Set(askable);
  for (const line of result.stdout.split('\n')) {
    // Only an answer about a path that was asked about counts.
    if (line.startsWith('pm ') && asked.has(line.slice(3))) packageManager.push(line.slice(3));
    else if (line.startsWith('other ') && asked.has(line.slice(6))) other.push(line.slice(6));
  }
  // Anything the script did not answer for (it failed) is kept: removing the application's files is the worse mistake.
  const answered = new Set([...packageManager, ...other]);
  for (const unit of units) if (!answered.has(unit)) other.push(unit);
  return { packageManager, other };
}
