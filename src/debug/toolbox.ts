import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { pack } from 'tar-stream';
import { elfLinkage } from '../core/elf.js';
import { SidekickError } from '../core/errors.js';
import { LABEL_KIND, LABEL_TOOLBOX_SOURCE, LABEL_TOOLBOX_STATIC } from '../core/labels.js';
import type { Engine, ProgressEvent } from '../engines/engine.js';

export const TOOLBOX_REPOSITORY = 'sidekick-toolbox';
export const FALLBACK_TOOLBOX = 'busybox:musl';

export interface Toolbox {
  image: string;
  /** A static toolbox can be run from inside the target's root (the chroot view). */
  isStatic: boolean;
}

export interface ToolboxEvents {
  onBuild?: (source: string) => void;
  onProgress?: (event: ProgressEvent) => void;
}

/**
 * The default toolbox: a local image holding a static busybox and a link per applet,
 * made from the host's busybox so that no registry is needed, and tagged by the binary's
 * hash so that it is built once.
 */
export async function ensureDefaultToolbox(engine: Engine, env: NodeJS.ProcessEnv, events: ToolboxEvents = {}): Promise<Toolbox> {
  const candidate = await defaultToolboxCandidate(env);
  if (candidate === undefined) {
    if (!(await engine.hasImage(FALLBACK_TOOLBOX))) {
      events.onBuild?.(FALLBACK_TOOLBOX);
      await engine.pullImage(FALLBACK_TOOLBOX, events.onProgress ?? (() => undefined)).catch((error: unknown) => {
        throw new SidekickError('TOOLBOX_UNAVAILABLE', 'no static busybox was found on this host and busybox:musl cannot be pulled.', {
          hint: 'Install one (apt-get install busybox-static) or point SIDEKICK_BUSYBOX at a static busybox binary.',
          cause: error,
        });
      });
    }
    return { image: FALLBACK_TOOLBOX, isStatic: true };
  }
  if (await engine.hasImage(candidate.image)) return candidate;
  await buildToolbox(engine, candidate, events);
  return candidate;
}

/** Builds the default toolbox image from the busybox the candidate names. */
export async function buildToolbox(engine: Engine, candidate: DefaultToolbox, events: ToolboxEvents = {}): Promise<void> {
  const { source } = candidate;
  const binary = await readFile(source);
  // The binary may have changed since the cache was written: tag what is really imported.
  const tag = toolboxTag(binary);
  if (`${TOOLBOX_REPOSITORY}:${tag}` !== candidate.image) {
    throw new SidekickError('TOOLBOX_UNAVAILABLE', `${source} changed while sidekick was reading it.`, { hint: 'Run the command again.' });
  }
  events.onBuild?.(source);
  const applets = await listApplets(source);
  await engine.importImage({
    rootfs: toolboxRootfs(binary, applets),
    repository: TOOLBOX_REPOSITORY,
    tag,
    labels: { [LABEL_KIND]: 'toolbox', [LABEL_TOOLBOX_SOURCE]: source, [LABEL_TOOLBOX_STATIC]: 'true' },
    cmd: ['/bin/sh'],
  });
}

export interface DefaultToolbox extends Toolbox {
  /** The busybox binary the image is made from. */
  source: string;
}

function toolboxTag(binary: Buffer): string {
  return `busybox-${createHash('sha256').update(binary).digest('hex').slice(0, 16)}`;
}

/**
 * The image name of the default toolbox, without asking the engine. Hashing a 2 MB binary
 * on every run would cost more than the rest of sidekick's own work, so the tag is kept in
 * a small cache keyed by the file's identity (device, inode, size, mtime).
 */
export async function defaultToolboxCandidate(env: NodeJS.ProcessEnv): Promise<DefaultToolbox | undefined> {
  const cacheFile = join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'sidekick', 'toolbox-v1.json');
  const cache = await readCache(cacheFile);
  const explicit = env.SIDEKICK_BUSYBOX;
  const candidates = explicit ? [explicit] : ['/bin/busybox', '/usr/bin/busybox'];
  for (const path of candidates) {
    const identity = await fileIdentity(path);
    if (identity === undefined) continue;
    const cached = cache[path];
    if (cached && cached.identity === identity) return { image: cached.image, isStatic: true, source: path };
  }
  const source = await findStaticBusybox(env);
  if (source === undefined) return undefined;
  const image = `${TOOLBOX_REPOSITORY}:${toolboxTag(await readFile(source))}`;
  const identity = await fileIdentity(source);
  if (identity !== undefined) {
    cache[source] = { identity, image };
    await mkdir(dirname(cacheFile), { recursive: true })
      .then(() => writeFile(cacheFile, JSON.stringify(cache)))
      .catch(() => undefined); // a read-only home only costs the hash next time
  }
  return { image, isStatic: true, source };
}

type ToolboxCache = Record<string, { identity: string; image: string }>;

async function readCache(path: string): Promise<ToolboxCache> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, 'utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as ToolboxCache) : {};
  } catch {
    return {};
  }
}

async function fileIdentity(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`;
  } catch {
    return undefined;
  }
}

/** SIDEKICK_BUSYBOX when set (and then it must be static), else the host's busybox if static. */
export async function findStaticBusybox(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const explicit = env.SIDEKICK_BUSYBOX;
  if (explicit) {
    const linkage = await linkageOf(explicit);
    if (linkage !== 'static') {
      throw new SidekickError('TOOLBOX_UNAVAILABLE', `SIDEKICK_BUSYBOX=${explicit} is ${linkage === 'dynamic' ? 'dynamically linked' : 'not a readable ELF executable'}.`, {
        hint: 'Point it at a statically linked busybox (Debian: busybox-static), or unset it.',
      });
    }
    return explicit;
  }
  for (const candidate of ['/bin/busybox', '/usr/bin/busybox']) {
    if ((await linkageOf(candidate)) === 'static') return candidate;
  }
  return undefined;
}

async function linkageOf(path: string): Promise<'static' | 'dynamic' | 'not-elf' | 'missing'> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return 'missing';
  }
  try {
    const header = Buffer.alloc(4096);
    const { bytesRead } = await handle.read(header, 0, header.length, 0);
    return elfLinkage(header.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

/** The applet names a busybox binary says it has, each safe to use as a file name. */
export async function listApplets(busybox: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(busybox, ['--list'], { maxBuffer: 1 << 20 });
  return stdout
    .split('\n')
    .map((name) => name.trim())
    .filter((name) => /^[A-Za-z0-9_.[\]-]+$/.test(name) && name !== 'busybox' && name !== '.' && name !== '..');
}

/**
 * Applets are hard links, not symlinks: an absolute symlink would resolve inside the
 * target's root when the toolbox is reached through /proc/<pid>/root from a chroot.
 */
function toolboxRootfs(binary: Buffer, applets: string[]): NodeJS.ReadableStream {
  const archive = pack();
  const mtime = new Date(0);
  for (const dir of ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'root']) {
    archive.entry({ name: `${dir}/`, type: 'directory', mode: dir === 'tmp' ? 0o1777 : 0o755, mtime });
  }
  archive.entry({ name: 'bin/busybox', type: 'file', mode: 0o755, mtime }, binary);
  for (const applet of applets) {
    archive.entry({ name: `bin/${applet}`, type: 'link', linkname: 'bin/busybox', mode: 0o755, mtime });
  }
  archive.entry({ name: 'target', type: 'symlink', linkname: '/proc/1/root', mode: 0o777, mtime });
  archive.entry({ name: 'etc/passwd', type: 'file', mode: 0o644, mtime }, 'root:x:0:0:root:/root:/bin/sh\n');
  archive.entry({ name: 'etc/group', type: 'file', mode: 0o644, mtime }, 'root:x:0:\n');
  archive.finalize();
  // tar-stream's Pack is a streamx Readable, which Node's stream consumers accept.
  return archive as unknown as NodeJS.ReadableStream;
}
