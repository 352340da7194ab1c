import { decodeManifest, OS_MANIFEST_PATH, TOOLBOX_MANIFEST_NAME, WELL_KNOWN_PREFIXES, type OsManifest, type ToolboxManifest } from '../../core/inject/injection-manifest.js';
import type { Engine } from '../../engines/engine.js';
import { readContainerFile } from './container-files.js';

const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

export interface FoundInjections {
  toolbox?: ToolboxManifest;
  os?: OsManifest;
}

/**
 * What sidekick injected into a container, from the manifests it left there. The prefixes
 * looked at: `extraPrefixes` (a --prefix the user gives), the OS manifest's toolbox, and the
 * well-known ones; a toolbox elsewhere is found only when its prefix is given.
 */
export async function findInjections(engine: Engine, containerId: string, extraPrefixes: readonly string[] = []): Promise<FoundInjections> {
  const os = await readManifest(engine, containerId, OS_MANIFEST_PATH);
  const prefixes = [...new Set([...extraPrefixes, ...(os?.kind === 'os' ? [os.toolboxPrefix] : []), ...WELL_KNOWN_PREFIXES])];
  const toolboxes = await Promise.all(prefixes.map((prefix) => readToolboxManifest(engine, containerId, prefix)));
  const toolbox = toolboxes.find((manifest) => manifest !== undefined);
  return {
    ...(os?.kind === 'os' ? { os } : {}),
    ...(toolbox ? { toolbox } : {}),
  };
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
