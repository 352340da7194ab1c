import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
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
  const source = await findStaticBusybox(env);
  if (source === undefined) {
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
  const binary = await readFile(source);
  const digest = createHash('sha256').update(binary).digest('hex').slice(0, 16);
  const image = `${TOOLBOX_REPOSITORY}:busybox-${digest}`;
  if (await engine.hasImage(image)) return { image, isStatic: true };

  events.onBuild?.(source);
  const applets = await listApplets(source);
  await engine.importImage({
    rootfs: toolboxRootfs(binary, applets),
    repository: TOOLBOX_REPOSITORY,
    tag: `busybox-${digest}`,
    labels: { [LABEL_KIND]: 'toolbox', [LABEL_TOOLBOX_SOURCE]: source, [LABEL_TOOLBOX_STATIC]: 'true' },
    cmd: ['/bin/sh'],
  });
  return { image, isStatic: true };
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

async function listApplets(busybox: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)(busybox, ['--list'], { maxBuffer: 1 << 20 });
  return stdout
    .split('\n')
    .map((name) => name.trim())
    .filter((name) => /^[A-Za-z0-9_.[\]-]+$/.test(name) && name !== 'busybox');
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
