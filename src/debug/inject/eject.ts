/**
 * `sidekick eject`: removes what inject added. For an OS, exactly the paths with a record of
 * being ours (core/inject/eject-plan.ts); everything the application made meanwhile is kept and
 * listed. The removal is done by a sidekick chrooted into the target's root
 * (remove-through-sidekick.ts), which neither needs the injected busybox nor lacks the
 * capabilities the target dropped. A manifest goes only once everything it describes is gone:
 * until then the injection stays listed by `sidekick sessions`, and eject says what is left and
 * why. A toolbox alone is removed by its own busybox (fast), with the sidekick as the fallback.
 */
import { pack } from 'tar-stream';
import { Readable } from 'node:stream';
import { SidekickError } from '../../core/errors.js';
import { isWithin } from '../../core/inject/container-path.js';
import { planOsEject } from '../../core/inject/eject-plan.js';
import { encodeManifest, MANIFEST_FORMAT, OS_MANIFEST_PATH, TOOLBOX_INTENT_NAME, TOOLBOX_MANIFEST_NAME, WELL_KNOWN_PREFIXES, type OsManifest } from '../../core/inject/injection-manifest.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import { withCommand } from '../engine-hint.js';
import type { Cleanups } from './cleanups.js';
import { assertRootOwnedToolbox, kindOf } from './container-files.js';
import { findInjections, readToolboxIntent, readToolboxManifest } from './find-injections.js';
import { withInjectionLock } from './injection-lock.js';
import { packageManagerRecords } from './package-manager-files.js';
import { removeToolboxInTarget } from './remove-in-target.js';
import { removeThroughSidekick, type LeftPath } from './remove-through-sidekick.js';
import { requireCapability } from '../../engines/capabilities.js';
import { addedPathsOf } from './added-paths.js';

export interface EjectResult {
  /** The prefix of the toolbox removed. */
  toolbox?: string;
  /** The prefix of an interrupted injection removed. */
  incompleteToolbox?: string;
  os?: OsManifest;
  /** Added since the OS injection, not by it nor its package manager: kept (topmost paths). */
  kept: string[];
  /** Directories of the OS kept because they hold kept paths. */
  holders: string[];
  /** Removed: what the OS's package manager added after the injection. */
  removedLater: string[];
}

export interface EjectOptions {
  prefixes?: string[];
  env: NodeJS.ProcessEnv;
  cleanups?: Cleanups;
}

export async function eject(engine: Engine, target: Target, options: EjectOptions): Promise<EjectResult> {
  if (target.status !== 'running') {
    throw new SidekickError('TARGET_NOT_RUNNING', `container ${target.name} is ${target.status}; eject runs inside it, so it must be running.`, {
      hint: `${withCommand('Start it', engine.commands.startContainer(target.name))} and run sidekick eject again.`,
    });
  }
  return withInjectionLock(engine, target, 'eject', options.cleanups, () => ejectLocked(engine, target, options));
}

async function ejectLocked(engine: Engine, target: Target, options: EjectOptions): Promise<EjectResult> {
  const archive = requireCapability(engine, 'archive', 'eject what was injected (sidekick eject)');
  const result: EjectResult = { kept: [], holders: [], removedLater: [] };
  let prefixes = [...new Set([...(options.prefixes ?? []), ...WELL_KNOWN_PREFIXES])];
  // Stats first, all at once: the common case (a toolbox, no OS) then never has the engine read a file.
  const [osStat, ...toolboxStats] = await Promise.all(
    [OS_MANIFEST_PATH, ...prefixes.map((prefix) => `${prefix}/${TOOLBOX_MANIFEST_NAME}`)].map((path) => archive.statPath(target.id, path)),
  );
  let manifests = toolboxStats;
  if (osStat !== undefined) {
    const found = await findInjections(engine, target.id, options.prefixes ?? []);
    if (found.os) {
      const toolboxPrefix = found.toolbox?.prefix;
      if (toolboxPrefix !== undefined) await assertRootOwnedToolbox(engine, target.id, toolboxPrefix);
      await ejectOs(engine, target, found.os, toolboxPrefix, options.env, result);
      if (toolboxPrefix !== undefined) result.toolbox = toolboxPrefix;
      prefixes = [...new Set([found.os.toolboxPrefix, ...prefixes])];
      manifests = await Promise.all(prefixes.map((prefix) => archive.statPath(target.id, `${prefix}/${TOOLBOX_MANIFEST_NAME}`)));
    }
  }
  for (const [i, prefix] of prefixes.entries()) {
    if (kindOf(manifests[i]) !== 'file') continue;
    if (await ejectToolbox(engine, target, prefix, options.env)) {
      result.toolbox = prefix;
      break;
    }
  }
  if (result.toolbox === undefined) {
    const interrupted = await findInterrupted(engine, target, prefixes);
    if (interrupted !== undefined) {
      await removeOrExplain(engine, target, { paths: [interrupted] }, options.env);
      result.incompleteToolbox = interrupted;
    }
  }
  return result;
}

/** Removes the OS (and the toolbox beside it, in the same sidekick); throws with what is left. */
async function ejectOs(engine: Engine, target: Target, os: OsManifest, toolboxPrefix: string | undefined, env: NodeJS.ProcessEnv, result: EjectResult): Promise<void> {
  // The way the manifest's baseline was taken is the way to compare with it now.
  const addedPaths = addedPathsOf(engine, 'eject what was injected (sidekick eject)', os.baseline ?? 'diff');
  const [added, owned] = await Promise.all([addedPaths.list(target.id), packageManagerRecords(engine, target.id)]);
  // A name with a newline could forge a line of the removal protocol: never ours, kept.
  const plan = planOsEject({
    added: added.filter((path) => !path.includes('\n')),
    baselineAdded: os.baselineAdded,
    written: os.written,
    createdRoots: os.createdRoots,
    packageManagerOwned: owned,
    exclude: [OS_MANIFEST_PATH, os.toolboxPrefix, ...(toolboxPrefix !== undefined ? [toolboxPrefix] : [])],
  });
  const paths = [...plan.remove, ...(toolboxPrefix !== undefined ? [toolboxPrefix] : [])];
  const left = await removeThroughSidekick(engine, target, { paths, linksInto: plan.others, ifEmpty: plan.holders, finally: OS_MANIFEST_PATH }, env);
  const after = new Set(await addedPaths.list(target.id));
  const stillKept = plan.others.filter((path) => after.has(path));
  const kept = [...stillKept.filter((path) => !stillKept.some((other) => path.startsWith(`${other}/`))), ...added.filter((path) => path.includes('\n'))];
  const reasons = new Map(left.map((entry) => [entry.path, entry.reason]));
  // The diff is the witness: whatever of ours it still shows is left, whatever the script said.
  const remaining = paths.filter((path) => [...after].some((now) => isWithin(now, path)));
  const leftOver: LeftPath[] = remaining.map((path) => ({ path, reason: reasons.get(path) ?? 'it was still there after the removal (recreated?)' }));
  if (leftOver.length > 0) {
    // The manifest is what keeps it listed and ejectable: it stays (or comes back) until all is gone.
    if (!after.has(OS_MANIFEST_PATH)) await restoreManifest(engine, target, os);
    throw leftError(target, leftOver, 'the injected OS');
  }
  const written = new Set(os.written ?? []);
  result.os = os;
  result.kept = kept;
  result.holders = plan.holders.filter((path) => after.has(path));
  result.removedLater = os.written === undefined ? [] : plan.remove.filter((path) => !written.has(path));
}

/** The toolbox's own busybox first; a sidekick when that fails. False when the manifest is not ours. */
async function ejectToolbox(engine: Engine, target: Target, prefix: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const archive = requireCapability(engine, 'archive', 'eject what was injected (sidekick eject)');
  await assertRootOwnedToolbox(engine, target.id, prefix);
  const fast = await removeToolboxInTarget(engine, target.id, prefix, ` "format": "${MANIFEST_FORMAT}",`);
  if (fast === 'not-ours') return false;
  if (fast === 'removed' && (await archive.statPath(target.id, prefix)) === undefined) return true;
  // The busybox would not run (a truncated binary answers 126, 127 or 139) or could not remove it all.
  if ((await readToolboxManifest(engine, target.id, prefix)) === undefined && (await archive.statPath(target.id, prefix)) !== undefined) return false;
  await removeOrExplain(engine, target, { paths: [prefix] }, env);
  return true;
}

async function findInterrupted(engine: Engine, target: Target, prefixes: string[]): Promise<string | undefined> {
  const archive = requireCapability(engine, 'archive', 'eject what was injected (sidekick eject)');
  const stats = await Promise.all(prefixes.map((prefix) => archive.statPath(target.id, `${prefix}/${TOOLBOX_INTENT_NAME}`)));
  for (const [i, prefix] of prefixes.entries()) {
    if (kindOf(stats[i]) !== 'file' || (await readToolboxIntent(engine, target.id, prefix)) === undefined) continue;
    await assertRootOwnedToolbox(engine, target.id, prefix, TOOLBOX_INTENT_NAME);
    return prefix;
  }
  return undefined;
}

async function removeOrExplain(engine: Engine, target: Target, request: { paths: string[] }, env: NodeJS.ProcessEnv): Promise<void> {
  const archive = requireCapability(engine, 'archive', 'eject what was injected (sidekick eject)');
  const left = await removeThroughSidekick(engine, target, request, env);
  const stats = await Promise.all(request.paths.map((path) => archive.statPath(target.id, path)));
  const reasons = new Map(left.map((entry) => [entry.path, entry.reason]));
  const remaining = request.paths.filter((_, i) => stats[i] !== undefined).map((path) => ({ path, reason: reasons.get(path) ?? 'it was still there after the removal' }));
  if (remaining.length > 0) throw leftError(target, remaining, 'the toolbox');
}

function leftError(target: Target, left: LeftPath[], what: string): SidekickError {
  const listed = left.slice(0, 5).map((entry) => `${entry.path} (${entry.reason})`).join('; ');
  return new SidekickError('ENGINE_ERROR', `eject could not remove all of ${what} from ${target.name}: ${left.length} path(s) left: ${listed}${left.length > 5 ? '; …' : ''}.`, {
    hint: `It stays recorded and listed by sidekick sessions; run sidekick eject ${target.name} again once the cause is gone.`,
  });
}

async function restoreManifest(engine: Engine, target: Target, os: OsManifest): Promise<void> {
  const archive = requireCapability(engine, 'archive', 'eject what was injected (sidekick eject)');
  const manifest = pack();
  manifest.entry({ name: OS_MANIFEST_PATH.slice(1), type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: new Date() }, encodeManifest(os));
  manifest.finalize();
  await archive.putArchive(target.id, '/', Readable.from(manifest as unknown as AsyncIterable<Buffer>), { noOverwriteDirNonDir: true });
}
