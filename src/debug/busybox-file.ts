/**
 * A host busybox as `inject` uploads it: its bytes, their sha256 and its applet names. The
 * digest and the names are remembered by the file's identity (device, inode, size, mtime), as
 * the default toolbox's tag is (toolbox.ts): asking busybox for its applets spawns it, and with
 * the hash that is 20–30 ms of an `inject` that takes about 450 (docs/BENCHMARKS.md, "inject +
 * eject: the toolbox tar and the applet list").
 */
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { identityOf, isAppletName, listApplets, sidekickCacheDirectory } from './toolbox.js';

export interface BusyboxFile {
  binary: Buffer;
  /** sha256 of `binary`, hex. */
  digest: string;
  applets: string[];
}

interface Remembered {
  identity: string;
  digest: string;
  applets: string[];
}

export async function readBusyboxFile(path: string, env: NodeJS.ProcessEnv): Promise<BusyboxFile> {
  // Identity and bytes from one open file: what is remembered is what was read.
  const handle = await open(path, 'r');
  let binary: Buffer;
  let identity: string;
  try {
    identity = identityOf(await handle.stat());
    binary = await handle.readFile();
  } finally {
    await handle.close();
  }
  const cacheFile = join(sidekickCacheDirectory(env), 'busybox-v1.json');
  const cache = await readRemembered(cacheFile);
  const known = cache[path];
  if (known !== undefined && known.identity === identity) return { binary, digest: known.digest, applets: known.applets };

  const applets = await listApplets(path);
  const digest = createHash('sha256').update(binary).digest('hex');
  cache[path] = { identity, digest, applets };
  // Written whole (renamed into place); a read-only home only costs the spawn and the hash next time.
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  await mkdir(dirname(cacheFile), { recursive: true, mode: 0o700 })
    .then(() => writeFile(temporary, JSON.stringify(cache), { mode: 0o600 }))
    .then(() => rename(temporary, cacheFile))
    .catch(() => undefined);
  return { binary, digest, applets };
}

/** The remembered entries that have the right shape; anything else is as if never remembered. */
async function readRemembered(path: string): Promise<Record<string, Remembered>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return {};
  }
  const result: Record<string, Remembered> = {};
  if (parsed === null || typeof parsed !== 'object') return result;
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (isRemembered(value)) result[key] = value;
  }
  return result;
}

function isRemembered(value: unknown): value is Remembered {
  if (value === null || typeof value !== 'object') return false;
  const { identity, digest, applets } = value as Partial<Record<keyof Remembered, unknown>>;
  return (
    typeof identity === 'string' &&
    typeof digest === 'string' &&
    /^[0-9a-f]{64}$/.test(digest) &&
    Array.isArray(applets) &&
    applets.length > 0 &&
    applets.every((name) => typeof name === 'string' && isAppletName(name))
  );
}
