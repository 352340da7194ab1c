/**
 * Toolboxes made of Debian packages (`sidekick exec --tools strace,gdb …`, `sidekick toolbox
 * build`): built on this machine with mmdebstrap from the Debian archive this host's apt
 * uses, imported with the engine (no registry is needed), and named by content
 * (core/toolbox-packages.ts) so that each is built once. They are dynamically linked and run
 * in the chroot view through their own loader (core/dynamic-view.ts).
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VIEW_APPLETS } from '../core/dynamic-view.js';
import { SidekickError } from '../core/errors.js';
import { LABEL_KIND, LABEL_TOOLBOX_INIT, LABEL_TOOLBOX_PACKAGES, LABEL_TOOLBOX_SOURCE, LABEL_TOOLBOX_STATIC, LABEL_TOOLBOX_VIEW } from '../core/labels.js';
import { debianArch, describePackageToolbox, normalizedPackages, packageToolboxTag, type PackageToolboxRequest } from '../core/toolbox-packages.js';
import type { Engine } from '../engines/engine.js';
import type { PreloadEntry } from './sidekick-launch.js';
import { findStaticBusybox, findStaticInit, INIT_PATH, listApplets, type Toolbox } from './toolbox.js';
import { toolboxRootfs } from './toolbox-rootfs.js';
import { viewEntries } from './toolbox-view.js';
import { requireCapability } from '../engines/capabilities.js';

export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
/** Apart from the default toolbox's repository, which scripts and tests take to be busybox. */
export const PACKAGE_TOOLBOX_REPOSITORY = 'sidekick-tools';
const DEFAULT_SUITE = 'bookworm';

export interface PackageToolboxEvents {
  /** Once, when a build starts: what is built, with what, from where. */
  onPackageBuild?: (description: string) => void;
  /** mmdebstrap's own progress lines. */
  onBuildLine?: (line: string) => void;
}

export interface PackageToolboxOptions {
  packages: string[];
  suite?: string;
  arch?: string;
  mirror?: string;
  /** One more name for the image (repository[:tag]). */
  tag?: string;
  /** Build even when an image of the same content exists. */
  rebuild?: boolean;
}

/** The request with this host's defaults filled in. */
export async function packageToolboxRequest(options: PackageToolboxOptions, env: NodeJS.ProcessEnv): Promise<PackageToolboxRequest> {
  return {
    packages: normalizedPackages(options.packages),
    suite: options.suite ?? env.SIDEKICK_DEBIAN_SUITE ?? (await hostDebianSuite()) ?? DEFAULT_SUITE,
    arch: options.arch ?? debianArch(process.arch),
  };
}

/** The toolbox image for these packages when the engine has it already; undefined otherwise. */
export async function cachedPackageToolbox(engine: Engine, options: PackageToolboxOptions, env: NodeJS.ProcessEnv): Promise<(Toolbox & { built: boolean }) | undefined> {
  const images = requireCapability(engine, 'images', 'build a toolbox of packages (--install)');
  const request = await packageToolboxRequest(options, env);
  const image = `${PACKAGE_TOOLBOX_REPOSITORY}:${packageToolboxTag(request)}`;
  const labels = await images.imageLabels(image);
  if (labels === undefined) return undefined;
  return { image, isStatic: false, hasInit: labels[LABEL_TOOLBOX_INIT] === INIT_PATH, hasViewApplets: labels[LABEL_TOOLBOX_VIEW] === VIEW_APPLETS, built: false };
}

/** The toolbox image for these packages, built first when the engine has none of this content. */
export async function ensurePackageToolbox(engine: Engine, options: PackageToolboxOptions, env: NodeJS.ProcessEnv, events: PackageToolboxEvents = {}): Promise<Toolbox & { built: boolean }> {
  const images = requireCapability(engine, 'images', 'build a toolbox of packages (--install)');
  const request = await packageToolboxRequest(options, env);
  const image = `${PACKAGE_TOOLBOX_REPOSITORY}:${packageToolboxTag(request)}`;
  let labels = options.rebuild ? undefined : await images.imageLabels(image);
  const built = labels === undefined;
  if (labels === undefined) {
    await buildPackageToolbox(engine, request, image, options.mirror ?? env.SIDEKICK_DEBIAN_MIRROR ?? (await hostDebianMirror()), env, events);
    labels = (await images.imageLabels(image)) ?? {};
  }
  if (options.tag !== undefined) {
    const at = options.tag.lastIndexOf(':');
    const hasTag = at > options.tag.lastIndexOf('/');
    await images.tagImage(image, hasTag ? options.tag.slice(0, at) : options.tag, hasTag ? options.tag.slice(at + 1) : 'latest');
  }
  return { image, isStatic: false, hasInit: labels[LABEL_TOOLBOX_INIT] === INIT_PATH, hasViewApplets: labels[LABEL_TOOLBOX_VIEW] === VIEW_APPLETS, built };
}

async function buildPackageToolbox(engine: Engine, request: PackageToolboxRequest, image: string, mirror: string, env: NodeJS.ProcessEnv, events: PackageToolboxEvents): Promise<void> {
  const images = requireCapability(engine, 'images', 'build a toolbox of packages (--install)');
  const busybox = await findStaticBusybox(env);
  if (busybox === undefined) {
    throw new SidekickError('TOOLBOX_UNAVAILABLE', 'a package toolbox needs a static busybox from this host (its session shell), and none was found.', {
      hint: 'Install one (apt-get install busybox-static) or point SIDEKICK_BUSYBOX at one.',
    });
  }
  const initSource = await findStaticInit(env);
  const [busyboxBinary, applets, init] = await Promise.all([readFile(busybox), listApplets(busybox), initSource ? readFile(initSource) : undefined]);
  const entries: PreloadEntry[] = [...viewEntries(busyboxBinary, applets), ...(init ? [{ name: INIT_PATH.slice(1), type: 'file' as const, mode: 0o755, content: init }] : [])];
  events.onPackageBuild?.(`building toolbox ${image} (${describePackageToolbox(request)}) with mmdebstrap from ${mirror}`);

  const args = ['--variant=extract', '--format=tar', `--architectures=${request.arch}`, `--include=${request.packages.join(',')}`, request.suite, '-', mirror];
  const child = spawn('mmdebstrap', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  let partial = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      stderr.push(line);
      if (stderr.length > 200) stderr.shift();
      events.onBuildLine?.(line);
    }
  });
  const exited = new Promise<{ code: number | null; spawnError?: NodeJS.ErrnoException }>((resolve) => {
    child.on('error', (error: NodeJS.ErrnoException) => resolve({ code: null, spawnError: error }));
    child.on('close', (code) => resolve({ code }));
  });
  // Not found (or not runnable): said before anything is sent to the engine.
  const started = await Promise.race([new Promise<true>((resolve) => child.once('spawn', () => resolve(true))), exited]);
  if (started !== true) throw buildError(started.spawnError, stderr, request, mirror);
  const labels = {
    [LABEL_KIND]: 'toolbox',
    [LABEL_TOOLBOX_SOURCE]: 'mmdebstrap',
    [LABEL_TOOLBOX_STATIC]: 'false',
    [LABEL_TOOLBOX_VIEW]: VIEW_APPLETS,
    [LABEL_TOOLBOX_PACKAGES]: describePackageToolbox(request),
    ...(init ? { [LABEL_TOOLBOX_INIT]: INIT_PATH } : {}),
  };
  const [, tag] = image.split(':') as [string, string];
  const rootfs = toolboxRootfs(child.stdout, { entries });
  const imported = images.importImage({ rootfs, repository: PACKAGE_TOOLBOX_REPOSITORY, tag, labels, cmd: [`${VIEW_APPLETS}/sh`] }).then(
    () => undefined,
    (error: unknown) => error,
  );
  const result = await exited;
  if (result.spawnError !== undefined || result.code !== 0) {
    // mmdebstrap writes its tar at the very end: after a failure the import holds at most our own entries, which are not this content.
    await imported;
    await images.removeImage(image).catch(() => undefined);
    throw buildError(result.spawnError, stderr, request, mirror);
  }
  const importError = await imported;
  if (importError !== undefined) throw importError;
}

function buildError(spawnError: NodeJS.ErrnoException | undefined, stderr: string[], request: PackageToolboxRequest, mirror: string): SidekickError {
  if (spawnError?.code === 'ENOENT') {
    return new SidekickError('TOOLBOX_UNAVAILABLE', 'building a toolbox from Debian packages needs mmdebstrap, which is not installed here.', {
      hint: 'Install it (apt-get install mmdebstrap), or pass a ready toolbox image with --image.',
    });
  }
  const text = stderr.join('\n');
  const missing = [...text.matchAll(/Unable to locate package (\S+)|Package '?([^' ]+)'? has no installation candidate/g)].map((m) => m[1] ?? m[2]);
  if (missing.length > 0) {
    return new SidekickError('TOOLBOX_UNAVAILABLE', `Debian ${request.suite} (${request.arch}) has no package ${[...new Set(missing)].join(', ')}.`, {
      hint: 'Check the names (apt-cache search NAME), or pick another suite with SIDEKICK_DEBIAN_SUITE.',
    });
  }
  if (/Could not resolve|Failed to fetch|Temporary failure|Connection (refused|timed out)|Unable to connect|No route/i.test(text)) {
    return new SidekickError('TOOLBOX_UNAVAILABLE', `the Debian archive at ${mirror} is unreachable, so the toolbox cannot be built.`, {
      hint: 'Check the network or point SIDEKICK_DEBIAN_MIRROR at a reachable mirror; or pass a ready toolbox image with --image.',
    });
  }
  const last = stderr.filter((line) => /^E:|error/i.test(line)).slice(-2).join(' ') || stderr.slice(-1).join('');
  return new SidekickError('TOOLBOX_UNAVAILABLE', `mmdebstrap could not build the toolbox${spawnError ? ` (${spawnError.message})` : ''}: ${last || 'no message'}`, {
    hint: 'Run again with --debug to see its output.',
  });
}

/** The suite of this host when it is Debian (VERSION_CODENAME), so its mirror surely has it. */
export async function hostDebianSuite(): Promise<string | undefined> {
  const text = await readFile('/etc/os-release', 'utf8').catch(() => '');
  if (!/^ID=debian$/m.test(text)) return undefined;
  return /^VERSION_CODENAME=([a-z]+)$/m.exec(text)?.[1];
}

/** The Debian mirror this host's apt uses (deb822 `URIs:` or one-line `deb` entries), else deb.debian.org. */
export async function hostDebianMirror(): Promise<string> {
  const files = ['/etc/apt/sources.list'];
  files.push(...(await readdir('/etc/apt/sources.list.d').catch(() => [] as string[])).map((name) => join('/etc/apt/sources.list.d', name)));
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      const uri = /^\s*(?:URIs:\s*|deb\s+(?:\[[^\]]*\]\s+)?)(\S+)/.exec(line)?.[1];
      // The main archive, not -security or a third party's repository.
      if (uri && /\/debian\/?$/.test(uri)) return uri.replace(/\/$/, '');
    }
  }
  return DEFAULT_MIRROR;
}
