/**
 * `sidekick eject`: removes what inject added, from inside the target (remove-in-target.ts).
 * For an OS it removes each created root whole (which takes what the package manager put
 * inside them), then what the package manager added in directories the target already had,
 * and keeps and lists what anything else added there since the injection.
 */
import { SidekickError } from '../../core/errors.js';
import { MANIFEST_FORMAT, OS_MANIFEST_PATH, TOOLBOX_MANIFEST_NAME, WELL_KNOWN_PREFIXES, type OsManifest } from '../../core/inject/injection-manifest.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import { assertRootOwnedToolbox, kindOf } from './container-files.js';
import { findInjections } from './find-injections.js';
import { attributeLaterAdditions } from './package-manager-files.js';
import { removeInTarget, removeToolboxInTarget } from './remove-in-target.js';

export interface EjectResult {
  /** The prefix of the toolbox removed. */
  toolbox?: string;
  os?: OsManifest;
  /** Added since the OS injection in directories that existed before, not by its package manager: kept. */
  kept: string[];
  /** Removed because the OS's package manager put them in directories that existed before. */
  removedLater: string[];
}

export async function eject(engine: Engine, target: Target, options: { prefixes?: string[] } = {}): Promise<EjectResult> {
  if (target.status !== 'running') {
    throw new SidekickError('TARGET_NOT_RUNNING', `container ${target.name} is ${target.status}; eject runs inside it, so it must be running.`, {
      hint: `Start it (docker start ${target.name}) and run sidekick eject again.`,
    });
  }
  const result: EjectResult = { kept: [], removedLater: [] };
  let toolboxPrefixes = [...new Set([...(options.prefixes ?? []), ...WELL_KNOWN_PREFIXES])];
  // Stats first, all at once: the common case (a toolbox, no OS) then never has the engine read a file.
  const [osStat, ...toolboxStats] = await Promise.all(
    [OS_MANIFEST_PATH, ...toolboxPrefixes.map((prefix) => `${prefix}/${TOOLBOX_MANIFEST_NAME}`)].map((path) => engine.statPath(target.id, path)),
  );
  let manifests = toolboxStats;
  if (osStat !== undefined) {
    const found = await findInjections(engine, target.id, options.prefixes ?? []);
    if (found.os) {
      if (!found.toolbox) {
        throw new SidekickError('ENGINE_ERROR', `${target.name} has an injected OS but its toolbox (${found.os.toolboxPrefix}) is gone, and eject needs it.`, {
          hint: `Inject the toolbox again (sidekick inject --prefix ${found.os.toolboxPrefix} ${target.name}), then eject.`,
        });
      }
      await assertRootOwnedToolbox(engine, target.id, found.toolbox.prefix);
      const busybox = `${found.toolbox.prefix}/bin/busybox`;
      const later = await attributeLaterAdditions(engine, target.id, found.os, busybox, found.toolbox.prefix);
      // The manifest goes last: an eject that fails half-way can be run again.
      const roots = found.os.createdRoots.filter((path) => path !== OS_MANIFEST_PATH);
      await removeInTarget(engine, target.id, busybox, [...roots, ...later.packageManager, OS_MANIFEST_PATH]);
      await verifyGone(engine, target, [...roots, OS_MANIFEST_PATH]);
      result.os = found.os;
      result.kept = later.other;
      result.removedLater = later.packageManager;
      toolboxPrefixes = [...new Set([found.toolbox.prefix, ...toolboxPrefixes])];
      manifests = await Promise.all(toolboxPrefixes.map((prefix) => engine.statPath(target.id, `${prefix}/${TOOLBOX_MANIFEST_NAME}`)));
    }
  }
  for (const [i, prefix] of toolboxPrefixes.entries()) {
    if (kindOf(manifests[i]) !== 'file') continue;
    if (!(await removeToolboxInTarget(engine, target.id, prefix, ` "format": "${MANIFEST_FORMAT}",`))) continue;
    await verifyGone(engine, target, [prefix]);
    result.toolbox = prefix;
    break;
  }
  return result;
}

async function verifyGone(engine: Engine, target: Target, paths: string[]): Promise<void> {
  const stats = await Promise.all(paths.map((path) => engine.statPath(target.id, path)));
  const left = paths.filter((_, i) => kindOf(stats[i]) !== 'absent');
  if (left.length === 0) return;
  throw new SidekickError('ENGINE_ERROR', `eject left ${left.length} path(s) in ${target.name}: ${left.slice(0, 5).join(', ')}${left.length > 5 ? ', …' : ''}.`, {
    hint: 'Something in the container recreated them, or they could not be removed; run sidekick eject again.',
  });
}

