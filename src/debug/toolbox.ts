import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { pack } from 'tar-stream';
import { elfLinkage } from '../core/elf.js';
import { SidekickError } from '../core/errors.js';
import { LABEL_KIND, LABEL_TOOLBOX_INIT, LABEL_TOOLBOX_SOURCE, LABEL_TOOLBOX_STATIC } from '../core/labels.js';
import type { Engine, ProgressEvent } from '../engines/engine.js';
import { requireCapability } from '../engines/capabilities.js';

export const TOOLBOX_REPOSITORY = 'sidekick-toolbox';
export const FALLBACK_TOOLBOX = 'busybox:musl';

export interface Toolbox {
  image: string;
  /** A static toolbox can be run from inside the target's root (the chroot view). */
  isStatic: boolean;
  /** Whether the image holds a static init (tini) at INIT_PATH, the sidekick's reaping first process. */
  hasInit?: boolean;
  /** Whether the image holds the dynamic view's busybox (core/dynamic-view.ts, VIEW_APPLETS). */
  hasViewApplets?: boolean;
}

/**
 * Where a sidekick's init lives in its own filesystem (never the target's). A child
 * subreaper there reaps the session's orphans, which would otherwise become zombies of the
 * target's PID 1 (docs/RELIABILITY.md, "zombies").
 */
export const INIT_PATH = '/.sidekick-init';
/** Static tini builds that Docker's engine packages ship (docker-init) or Debian's tini package installs. */
const INIT_CANDIDATES = ['/usr/bin/tini-static', '/usr/bin/docker-init', '/usr/libexec/docker/docker-init', '/usr/local/bin/docker-init', '/usr/sbin/docker-init'];

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
  const images = requireCapability(engine, 'images', 'get a toolbox image');
  const candidate = await defaultToolboxCandidate(env);
  if (candidate === undefined) {
    if (!(await images.hasImage(FALLBACK_TOOLBOX))) {
      events.onBuild?.(FALLBACK_TOOLBOX);
      await images.pullImage(FALLBACK_TOOLBOX, events.onProgress ?? (() => undefined)).catch((error: unknown) => {
        throw new SidekickError('TOOLBOX_UNAVAILABLE', 'no static busybox was found on this host and busybox:musl cannot be pulled.', {
          hint: 'Install one (apt-get install busybox-static) or point SIDEKICK_BUSYBOX at a static busybox binary.',
          cause: error,
        });
      });
    }
    return { image: FALLBACK_TOOLBOX, isStatic: true, hasInit: false };
  }
  if (await images.hasImage(candidate.image)) return candidate;
  await buildToolbox(engine, candidate, events);
  return candidate;
}

/**
 * The default toolbox for a sidekick about to be created, without asking the engine whether it
 * has the image (a round trip on every run, before the create): the create says so when it does
 * not, and `build` then makes it (debug/run-capture.ts). With no static busybox on this host, the
 * pulled fallback is readied at once, as ensureDefaultToolbox does.
 */
export async function assumeDefaultToolbox(engine: Engine, env: NodeJS.ProcessEnv, events: ToolboxEvents = {}): Promise<{ toolbox: Toolbox; build?: () => Promise<void> }> {
  // A cluster pulls its own toolbox (a static busybox), which sidekick can neither build nor look at.
  if (engine.images === undefined && engine.pulledToolboxImage !== undefined) return { toolbox: { image: engine.pulledToolboxImage, isStatic: true, hasInit: false } };
  const candidate = await defaultToolboxCandidate(env);
  if (candidate === undefined) return { toolbox: await ensureDefaultToolbox(engine, env, events) };
  return { toolbox: candidate, build: () => buildToolbox(engine, candidate, events) };
}

/** Builds the default toolbox image from the busybox the candidate names. */
export async function buildToolbox(engine: Engine, candidate: DefaultToolbox, events: ToolboxEvents = {}): Promise<void> {
  const images = requireCapability(engine, 'images', 'get a toolbox image');
  const { source } = candidate;
  const binary = await readFile(source);
  const init = candidate.initSource === undefined ? undefined : await readFile(candidate.initSource);
  // The binaries may have changed since the cache was written: tag what is really imported.
  const tag = toolboxTag(binary, init);
  if (`${TOOLBOX_REPOSITORY}:${tag}` !== candidate.image) {
    throw new SidekickError('TOOLBOX_UNAVAILABLE', `${source} or ${candidate.initSource ?? 'its init'} changed while sidekick was reading it.`, {
      hint: 'Run the command again.',
    });
  }
  events.onBuild?.(source);
  const applets = await listApplets(source);
  await images.importImage({
    rootfs: toolboxRootfs(binary, applets, init),
    repository: TOOLBOX_REPOSITORY,
    tag,
    labels: {
      [LABEL_KIND]: 'toolbox',
      [LABEL_TOOLBOX_SOURCE]: source,
      [LABEL_TOOLBOX_STATIC]: 'true',
      ...(init ? { [LABEL_TOOLBOX_INIT]: INIT_PATH } : {}),
    },
    cmd: ['/bin/sh'],
  });
}

export interface DefaultToolbox extends Toolbox {
  /** The busybox binary the image is made from. */
  source: string;
  /** The static tini put in at INIT_PATH; undefined when this host has none. */
  initSource?: string;
}

/** Content-addressed: busybox's hash, and the init's when there is one. */
function toolboxTag(busybox: Buffer, init: Buffer | undefined): string {
  const hash = (data: Buffer): string => createHash('sha256').update(data).digest('hex').slice(0, 16);
  return `busybox-${hash(busybox)}${init ? `-init-${hash(init)}` : ''}`;
}

/**
 * The image name of the default toolbox, without asking the engine. Hashing a 2 MB binary
 * on every run would cost more than the rest of sidekick's own work, so the tag is kept in
 * a small cache keyed by the file's identity (device, inode, size, mtime).
 */
export async function defaultToolboxCandidate(env: NodeJS.ProcessEnv): Promise<DefaultToolbox | undefined> {
  const cacheFile = join(sidekickCacheDirectory(env), 'toolbox-v2.json');
  const cache = await readCache(cacheFile);
  const explicit = env.SIDEKICK_BUSYBOX;
  const candidates = explicit ? [explicit] : ['/bin/busybox', '/usr/bin/busybox'];
  const initCandidates = env.SIDEKICK_INIT ? [env.SIDEKICK_INIT] : INIT_CANDIDATES;
  for (const path of candidates) {
    const identity = await fileIdentity(path);
    if (identity === undefined) continue;
    const cached = cache[path];
    if (cached && cached.identity === identity && (cached.init === undefined || (await fileIdentity(cached.init)) === cached.initIdentity)) {
      // An init installed since the cache was written is worth one more look.
      if (cached.init !== undefined || !(await anyExists(initCandidates))) {
        return { image: cached.image, isStatic: true, source: path, hasInit: cached.init !== undefined, ...(cached.init ? { initSource: cached.init } : {}) };
      }
    }
  }
  const source = await findStaticBusybox(env);
  if (source === undefined) return undefined;
  const initSource = await findStaticInit(env);
  const image = `${TOOLBOX_REPOSITORY}:${toolboxTag(await readFile(source), initSource ? await readFile(initSource) : undefined)}`;
  const identity = await fileIdentity(source);
  const initIdentity = initSource ? await fileIdentity(initSource) : undefined;
  if (identity !== undefined) {
    cache[source] = { identity, image, ...(initSource && initIdentity ? { init: initSource, initIdentity } : {}) };
    await mkdir(dirname(cacheFile), { recursive: true })
      .then(() => writeFile(cacheFile, JSON.stringify(cache)))
      .catch(() => undefined); // a read-only home only costs the hash next time
  }
  return { image, isStatic: true, source, hasInit: initSource !== undefined, ...(initSource ? { initSource } : {}) };
}

async function anyExists(paths: string[]): Promise<boolean> {
  for (const path of paths) if ((await fileIdentity(path)) !== undefined) return true;
  return false;
}

/** SIDEKICK_INIT when set (it must be static), else a static tini this host has; undefined when none. */
export function findStaticInit(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return findStaticBinary('SIDEKICK_INIT', env.SIDEKICK_INIT, INIT_CANDIDATES, 'a statically linked tini (Debian: tini, /usr/bin/tini-static)');
}

type ToolboxCache = Record<string, { identity: string; image: string; init?: string; initIdentity?: string }>;

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
    return identityOf(await stat(path));
  } catch {
    return undefined;
  }
}

/** What a cache of facts about a file is keyed by: a file replaced or rewritten gets another. */
export function identityOf(info: { dev: number; ino: number; size: number; mtimeMs: number }): string {
  return `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}`;
}

/** SIDEKICK_BUSYBOX when set (and then it must be static), else the host's busybox if static. */
export function findStaticBusybox(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  return findStaticBinary('SIDEKICK_BUSYBOX', env.SIDEKICK_BUSYBOX, ['/bin/busybox', '/usr/bin/busybox'], 'a statically linked busybox (Debian: busybox-static)');
}

/**
 * The binary a variable names, which must then be static (it runs inside targets with no
 * libc), else the first static one of the usual places; undefined when there is none.
 */
async function findStaticBinary(variable: string, explicit: string | undefined, candidates: string[], wanted: string): Promise<string | undefined> {
  if (explicit) {
    const linkage = await linkageOf(explicit);
    if (linkage !== 'static') {
      throw new SidekickError('TOOLBOX_UNAVAILABLE', `${variable}=${explicit} is ${linkage === 'dynamic' ? 'dynamically linked' : 'not a readable ELF executable'}.`, {
        hint: `Point it at ${wanted}, or unset it.`,
      });
    }
    return explicit;
  }
  for (const candidate of candidates) {
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
    .filter(isAppletName);
}

/** A name an applet link may have: one plain path component, and not busybox itself. */
export function isAppletName(name: string): boolean {
  return /^[A-Za-z0-9_.[\]-]+$/.test(name) && name !== 'busybox' && name !== '.' && name !== '..';
}

/** Where sidekick keeps what it can compute again (XDG_CACHE_HOME, else ~/.cache). */
export function sidekickCacheDirectory(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'sidekick');
}

/**
 * Applets are hard links, not symlinks: an absolute symlink would resolve inside the
 * target's root when the toolbox is reached through /proc/<pid>/root from a chroot.
 */
function toolboxRootfs(binary: Buffer, applets: string[], init: Buffer | undefined): NodeJS.ReadableStream {
  const archive = pack();
  const mtime = new Date(0);
  for (const dir of ['bin', 'dev', 'etc', 'proc', 'sys', 'tmp', 'root']) {
    archive.entry({ name: `${dir}/`, type: 'directory', mode: dir === 'tmp' ? 0o1777 : 0o755, mtime });
  }
  archive.entry({ name: 'bin/busybox', type: 'file', mode: 0o755, mtime }, binary);
  for (const applet of applets) {
    archive.entry({ name: `bin/${applet}`, type: 'link', linkname: 'bin/busybox', mode: 0o755, mtime });
  }
  if (init) archive.entry({ name: INIT_PATH.slice(1), type: 'file', mode: 0o755, mtime }, init);
  archive.entry({ name: 'etc/passwd', type: 'file', mode: 0o644, mtime }, 'root:x:0:0:root:/root:/bin/sh\n');
  archive.entry({ name: 'etc/group', type: 'file', mode: 0o644, mtime }, 'root:x:0:\n');
  archive.finalize();
  // tar-stream's Pack is a streamx Readable, which Node's stream consumers accept.
  return archive as unknown as NodeJS.ReadableStream;
}
