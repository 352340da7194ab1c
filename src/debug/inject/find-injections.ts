import { decodeManifest, MAX_MANIFEST_BYTES, OS_MANIFEST_PATH, TOOLBOX_INTENT_NAME, TOOLBOX_MANIFEST_NAME, WELL_KNOWN_PREFIXES, type OsManifest, type ToolboxManifest } from '../../core/inject/injection-manifest.js';
import type { Engine } from '../../engines/engine.js';
import { readContainerFile } from './container-files.js';
import { requireCapability } from '../../engines/capabilities.js';

export interface FoundInjections {
  toolbox?: ToolboxManifest;
  os?: OsManifest;
  /** A toolbox whose injection was interrupted: its intent record, no manifest. */
  incompleteToolbox?: ToolboxManifest;
}

/**
 * What sidekick injected into a container, from the manifests it left there. The prefixes
 * looked at: `extraPrefixes` (a --prefix the user gives), the OS manifest's toolbox, and the
 * well-known ones; a toolbox elsewhere is found only when its prefix is given.
 *
 * The engine serves one archive request per container at a time, each at the cost of mounting
 * the container's filesystem, and `sessions` asks this of every running container: so the OS
 * manifest and whether each prefix exists at all are asked in one wave, and a prefix that is not
 * there (nothing, not even a symlink) is not asked about its manifest and intent record, which
 * could only be absent too. A container with nothing injected costs one stat per path.
 */
export async function findInjections(engine: Engine, containerId: string, extraPrefixes: readonly string[] = []): Promise<FoundInjections> {
  const archive = requireCapability(engine, 'archive', 'find what was injected into the target');
  const probed = [...new Set([...extraPrefixes, ...WELL_KNOWN_PREFIXES])];
  const [os, probes] = await Promise.all([
    readManifest(engine, containerId, OS_MANIFEST_PATH),
    Promise.all(probed.map((prefix) => archive.statPath(containerId, prefix))),
  ]);
  const absent = new Set(probed.filter((_, i) => probes[i] === undefined));
  const prefixes = [...new Set([...extraPrefixes, ...(os?.kind === 'os' ? [os.toolboxPrefix] : []), ...WELL_KNOWN_PREFIXES])];
  // Where an OS was injected its toolbox is always looked at, whatever the probe said a moment before.
  const present = prefixes.filter((prefix) => !absent.has(prefix) || (os?.kind === 'os' && prefix === os.toolboxPrefix));
  const toolboxes = await Promise.all(present.map((prefix) => readToolboxManifest(engine, containerId, prefix)));
  const toolbox = toolboxes.find((manifest) => manifest !== undefined);
  // Only asked where there is no manifest, and only when needed: it costs a read per prefix.
  const incompleteToolbox = toolbox ? undefined : await firstIntent(engine, containerId, present);
  return {
    ...(os?.kind === 'os' ? { os } : {}),
    ...(toolbox ? { toolbox } : {}),
    ...(incompleteToolbox ? { incompleteToolbox } : {}),
  };
}

async function firstIntent(engine: Engine, containerId: string, prefixes: string[]): Promise<ToolboxManifest | undefined> {
  const archive = requireCapability(engine, 'archive', 'find what was injected into the target');
  const stats = await Promise.all(prefixes.map((prefix) => archive.statPath(containerId, `${prefix}/${TOOLBOX_INTENT_NAME}`)));
  for (const [i, prefix] of prefixes.entries()) {
    if (stats[i] === undefined) continue;
    const intent = await readToolboxIntent(engine, containerId, prefix);
    if (intent) return intent;
  }
  return undefined;
}

/** The intent record an injection writes first; with no manifest beside it, the injection was interrupted. */
export async function readToolboxIntent(engine: Engine, containerId: string, prefix: string): Promise<ToolboxManifest | undefined> {
  const manifest = await readManifest(engine, containerId, `${prefix}/${TOOLBOX_INTENT_NAME}`);
  return manifest?.kind === 'toolbox' && manifest.prefix === prefix ? manifest : undefined;
}

export async function readToolboxManifest(engine: Engine, containerId: string, prefix: string): Promise<ToolboxManifest | undefined> {
  const manifest = await readManifest(engine, containerId, `${prefix}/${TOOLBOX_MANIFEST_NAME}`);
  // A manifest that names another prefix was copied or forged: it does not describe this directory.
  return manifest?.kind === 'toolbox' && manifest.prefix === prefix ? manifest : undefined;
}

async function readManifest(engine: Engine, containerId: string, path: string): Promise<ToolboxManifest | OsManifest | undefined> {
  const content = await readContainerFile(engine, containerId, path, MAX_MANIFEST_BYTES);
  if (content === undefined) return undefined;
  return decodeManifest(content.toString('utf8')).manifest;
}
