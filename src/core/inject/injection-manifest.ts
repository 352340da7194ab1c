/**
 * The record every injection leaves in the target, so that `eject` knows what to remove and
 * `sessions` can show it. It lives inside the target (the prefix, or /.sidekick-os.json), which
 * the target controls: decoding treats it as hostile text and never throws.
 */
export const MANIFEST_FORMAT = 'sidekick-injection/1';
/** Inside the toolbox prefix; written last, once the toolbox is complete and verified. */
export const TOOLBOX_MANIFEST_NAME = 'manifest.json';
/**
 * Inside the toolbox prefix, the first file of the upload (same content as the manifest): a
 * prefix that has it but no manifest is an injection that was interrupted.
 */
export const TOOLBOX_INTENT_NAME = 'injecting.json';
/** At the target's root, for an OS injection. */
export const OS_MANIFEST_PATH = '/.sidekick-os.json';
export const DEFAULT_PREFIX = '/.sidekick';
/**
 * Where `eject` and `sessions` look for a toolbox without being told: the default, and the
 * writable-mount prefix that inject suggests for read-only roots.
 */
export const WELL_KNOWN_PREFIXES = [DEFAULT_PREFIX, '/tmp/.sidekick', '/run/.sidekick'] as const;

interface ManifestBase {
  format: typeof MANIFEST_FORMAT;
  /** Random, so that a verification can tell our manifest from one the target forged or kept. */
  nonce: string;
  /** Where the content came from ("busybox /bin/busybox sha256:…", "rootfs /x.tar"). */
  source: string;
  createdAt: string;
  sidekickVersion: string;
  targetId: string;
}

export interface ToolboxManifest extends ManifestBase {
  kind: 'toolbox';
  prefix: string;
  applets: number;
}

export interface OsManifest extends ManifestBase {
  kind: 'os';
  /**
   * Paths that did not exist in the target and were written with everything below them; eject
   * removes each whole, which also takes what the package manager installed inside them later.
   */
  createdRoots: string[];
  /** Directories that existed in the target and received new entries (never removed). */
  existingDirs: string[];
  /** OS paths left out because the target already has something there. */
  keptCount: number;
  /** OS paths left out as conflicts with --skip-conflicts. */
  conflicts: string[];
  /** What the target had added before the injection: not ours, never removed. How it was taken: `baseline`. */
  baselineAdded: string[];
  /**
   * Absent: `baselineAdded` is the engine's diff against the image, its added paths (Docker).
   * "walk": every path of the root filesystem before the injection, for an engine without a
   * diff (a pod); eject then compares a walk with it.
   */
  baseline?: 'walk';
  /** The toolbox injected alongside. */
  toolboxPrefix: string;
  /**
   * Every path the injection writes, recorded before the first byte is written: eject removes
   * these (and what the package manager recorded), never what else appeared in the same places.
   * Absent in manifests of older versions, which count everything under createdRoots.
   */
  written?: string[];
}

export type InjectionManifest = ToolboxManifest | OsManifest;

export type ManifestDecodeResult = { manifest: InjectionManifest; reason?: undefined } | { manifest: undefined; reason: string };

export function encodeManifest(manifest: InjectionManifest): string {
  return `${JSON.stringify(manifest, null, 1)}\n`;
}

/** The largest manifest read back (and so the largest written: one that cannot be read back cannot be ejected). */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

export function decodeManifest(text: string): ManifestDecodeResult {
  if (text.length > MAX_MANIFEST_BYTES) return fail('it is implausibly large');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('it is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('it is not a JSON object');
  const r = json as Record<string, unknown>;
  if (r.format !== MANIFEST_FORMAT) return fail(`its format is not ${MANIFEST_FORMAT}`);
  for (const key of ['nonce', 'source', 'createdAt', 'sidekickVersion', 'targetId'] as const) {
    if (typeof r[key] !== 'string') return fail(`it has no "${key}" string`);
  }
  const base = {
    format: MANIFEST_FORMAT,
    nonce: r.nonce as string,
    source: r.source as string,
    createdAt: r.createdAt as string,
    sidekickVersion: r.sidekickVersion as string,
    targetId: r.targetId as string,
  } as const;
  if (r.kind === 'toolbox') {
    if (!isAbsolutePath(r.prefix)) return fail('its "prefix" is not an absolute path');
    if (typeof r.applets !== 'number' || !Number.isSafeInteger(r.applets) || r.applets < 0) return fail('its "applets" is not a count');
    return { manifest: { ...base, kind: 'toolbox', prefix: r.prefix, applets: r.applets } };
  }
  if (r.kind === 'os') {
    const lists = ['createdRoots', 'existingDirs', 'conflicts', 'baselineAdded'] as const;
    for (const key of lists) {
      const value = r[key];
      if (!Array.isArray(value) || !value.every(isAbsolutePath)) return fail(`its "${key}" is not a list of absolute paths`);
    }
    if (r.written !== undefined && (!Array.isArray(r.written) || !r.written.every(isAbsolutePath))) return fail('its "written" is not a list of absolute paths');
    if (typeof r.keptCount !== 'number' || !Number.isSafeInteger(r.keptCount) || r.keptCount < 0) return fail('its "keptCount" is not a count');
    if (r.baseline !== undefined && r.baseline !== 'walk') return fail('its "baseline" is neither absent nor "walk"');
    if (!isAbsolutePath(r.toolboxPrefix)) return fail('its "toolboxPrefix" is not an absolute path');
    const createdRoots = r.createdRoots as string[];
    // A root of "/" or one inside /proc would make eject remove what is not ours.
    if (createdRoots.some((p) => p === '/' || /^\/(dev|proc|sys)(\/|$)/.test(p))) return fail('it names a path sidekick never creates');
    return {
      manifest: {
        ...base,
        kind: 'os',
        createdRoots,
        existingDirs: r.existingDirs as string[],
        keptCount: r.keptCount,
        conflicts: r.conflicts as string[],
        baselineAdded: r.baselineAdded as string[],
        toolboxPrefix: r.toolboxPrefix,
        ...(r.written !== undefined ? { written: r.written as string[] } : {}),
        ...(r.baseline === 'walk' ? { baseline: 'walk' as const } : {}),
      },
    };
  }
  return fail('its "kind" is neither "toolbox" nor "os"');
}

/** Absolute, normalized, no "..", no NUL or newline: what every path in a manifest must be. */
function isAbsolutePath(value: unknown): value is string {
  if (typeof value !== 'string' || !value.startsWith('/') || /[\0\n]/.test(value)) return false;
  if (value === '/') return true;
  const parts = value.slice(1).split('/');
  return parts.every((part) => part !== '' && part !== '.' && part !== '..');
}

function fail(reason: string): ManifestDecodeResult {
  return { manifest: undefined, reason };
}
