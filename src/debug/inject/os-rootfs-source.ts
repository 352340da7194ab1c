/**
 * Where an `inject --os` userland comes from: a rootfs tarball (.tar, .tar.gz) on this host,
 * `debian[:SUITE]`, built here with mmdebstrap, `alpine[:VERSION]`, bootstrapped here with apk.static fetched from a mirror as the seed
 * describes, or an image on the engine (exported through a container that never runs). Each source can be read twice: once for its entry list (planning), once to send.
 */
import { execFile, spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { chmod, lstat, mkdir, mkdtemp, open, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { promisify } from 'node:util';
import { createGunzip, gunzipSync } from 'node:zlib';
import { extract as tarExtract } from 'tar-stream';
import { packPaths } from '../../core/archive/pack-paths.js';
import { startsLikeTar } from '../../core/archive/tar-header.js';
import { SidekickError } from '../../core/errors.js';
import type { Engine } from '../../engines/engine.js';
import { withCommand } from '../engine-hint.js';
import type { Cleanups } from './cleanups.js';
import { hostDebianMirror, hostDebianSuite } from '../package-toolbox.js';
import { processExists } from '../../core/local-process.js';

export interface RootfsSource {
  /** For the manifest and messages ("rootfs /x/debian.tar", "alpine v3.20 from https://…"). */
  description: string;
  /** A fresh, uncompressed tar stream of the whole root filesystem. */
  open(): Readable;
  /** The same, as an uncompressed tar file on this host, when it is one: read by offset, not as a stream. */
  tarFile?: string;
  cleanup(): Promise<void>;
}

export const DEFAULT_ALPINE_MIRROR = 'https://dl-cdn.alpinelinux.org/alpine';

export interface SourceOptions {
  mirror?: string;
  env: NodeJS.ProcessEnv;
  onProgress?: (message: string) => void;
  /** For an image REF: the engine that has it, and the labels of the throw-away container that exports it. */
  engine: Engine;
  labels: Record<string, string>;
  /** Where the temporary export and the export container register their removal (signals). */
  cleanups?: Cleanups;
}

/** Temporary directories on this host carry the creating process's pid: a later run removes those whose process is gone. */
type TemporaryKind = 'sidekick-os-image-' | 'sidekick-alpine-' | 'sidekick-debian-';

function tempDirFor(kind: TemporaryKind): Promise<string> {
  return mkdtemp(join(tmpdir(), `${kind}${process.pid}-`));
}

/**
 * Removes what runs killed with -9 left in the temporary directory: an export is tens of MB.
 * Only directories of ours (by name, owned by this user) whose process no longer exists.
 */
export async function sweepStaleTemporaryFiles(): Promise<void> {
  const names = await readdir(tmpdir()).catch(() => [] as string[]);
  await Promise.all(
    names.map(async (name) => {
      const match = /^sidekick-(?:os-image|alpine|debian)-(\d+)-[A-Za-z0-9]+$/.exec(name);
      if (!match || processExists(Number(match[1]))) return;
      const path = join(tmpdir(), name);
      const info = await lstat(path).catch(() => undefined);
      if (!info?.isDirectory() || info.uid !== process.getuid?.()) return;
      await rm(path, { recursive: true, force: true }).catch(() => undefined);
    }),
  );
}

/** A file on this host first, then debian[:SUITE], alpine[:VERSION], then an image on the engine. */
export async function openRootfsSource(ref: string, options: SourceOptions): Promise<RootfsSource> {
  await sweepStaleTemporaryFiles();
  const info = await stat(ref).catch(() => undefined);
  if (info?.isFile()) return tarballSource(ref);
  const debian = /^debian(?::([a-z]+))?$/.exec(ref);
  if (debian) {
    const suite = debian[1] ?? options.env.SIDEKICK_DEBIAN_SUITE ?? (await hostDebianSuite()) ?? 'bookworm';
    return bootstrapDebian(suite, options.mirror ?? options.env.SIDEKICK_DEBIAN_MIRROR ?? (await hostDebianMirror()), options.onProgress, options.cleanups);
  }
  const alpine = /^alpine(?::(.+))?$/.exec(ref);
  if (alpine) return bootstrapAlpine(alpine[1] ?? 'latest-stable', options.mirror ?? options.env.SIDEKICK_ALPINE_MIRROR ?? DEFAULT_ALPINE_MIRROR, options.onProgress, options.cleanups);
  if (!/^[A-Za-z0-9][A-Za-z0-9._/:@-]*$/.test(ref)) {
    throw new SidekickError('BAD_USAGE', `--os ${ref} is neither a rootfs tarball on this host, alpine[:VERSION], nor an image name.`, {
      hint: 'Give a .tar or .tar.gz path, alpine[:VERSION], or a local image.',
    });
  }
  return imageSource(ref, options);
}

/**
 * A local image, exported once into a temporary file on this host: the tar is read twice
 * (planning, then sending), and the engine's export is not repeatable for free.
 */
async function imageSource(ref: string, options: SourceOptions): Promise<RootfsSource> {
  // The engine removes its export container when the stream ends; a signal ends us first.
  const removeExporter = async (): Promise<void> => {
    const session = options.labels['io.sidekick.session'];
    if (session === undefined) return;
    const left = await options.engine.listContainers({ all: true, labels: [`io.sidekick.session=${session}`] });
    await Promise.all(left.map((container) => options.engine.removeContainer(container.id, { force: true })));
  };
  const unregisterExporter = options.cleanups?.add(removeExporter);
  try {
    return await exportedImage(ref, options);
  } catch (error) {
    // Cut short (a signal destroyed the stream): do not count on the engine's own removal.
    await removeExporter().catch(() => undefined);
    throw error;
  } finally {
    unregisterExporter?.();
  }
}

async function exportedImage(ref: string, options: SourceOptions): Promise<RootfsSource> {
  let tar: NodeJS.ReadableStream;
  try {
    tar = await options.engine.exportImageFilesystem(ref, options.labels);
  } catch (error) {
    if (error instanceof SidekickError && error.code === 'IMAGE_UNAVAILABLE') {
      throw new SidekickError('IMAGE_UNAVAILABLE', `--os ${ref} is neither a rootfs tarball on this host, alpine[:VERSION], nor an image on the engine.`, {
        hint: `${withCommand('Pull or build the image first', options.engine.commands.pullImage(ref))}, or give a .tar / .tar.gz path.`,
        cause: error,
      });
    }
    throw error;
  }
  const work = await tempDirFor('sidekick-os-image-');
  const removeWork = (): Promise<void> => rm(work, { recursive: true, force: true });
  const unregisterWork = options.cleanups?.add(() => {
    (tar as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
    return removeWork();
  });
  const file = join(work, 'rootfs.tar');
  try {
    options.onProgress?.(`exporting image ${ref}`);
    await pipeline(tar, createWriteStream(file));
  } catch (error) {
    await removeWork();
    throw error;
  } finally {
    unregisterWork?.();
  }
  const source = await tarballSource(file);
  return { ...source, description: `image ${ref}`, cleanup: () => rm(work, { recursive: true, force: true }) };
}

async function tarballSource(path: string): Promise<RootfsSource> {
  const handle = await open(path, 'r');
  const magic = Buffer.alloc(65536);
  const { bytesRead } = await handle.read(magic, 0, magic.length, 0).finally(() => handle.close());
  if (!startsLikeTar(magic.subarray(0, bytesRead))) {
    throw new SidekickError('BAD_USAGE', `--os ${path}: the file is not a tar archive (plain or gzipped) of a root filesystem.`, {
      hint: 'Give a rootfs tarball (.tar, .tar.gz), alpine[:VERSION], or a local image.',
    });
  }
  // By content, not by name: a .tar that is really gzipped still works.
  const gzipped = magic[0] === 0x1f && magic[1] === 0x8b;
  return {
    description: `rootfs ${path}`,
    ...(gzipped ? {} : { tarFile: path }),
    open: () => {
      const file = createReadStream(path);
      if (!gzipped) return file;
      const gunzip = createGunzip();
      file.on('error', (error) => gunzip.destroy(error));
      return file.pipe(gunzip);
    },
    cleanup: async () => undefined,
  };
}

async function bootstrapAlpine(version: string, mirror: string, onProgress?: (message: string) => void, cleanups?: Cleanups): Promise<RootfsSource> {
  const base = mirror.replace(/\/+$/, '');
  // "3.20" is the branch v3.20; "v3.20", "edge" and "latest-stable" are branch names already.
  const branch = /^\d+\.\d+$/.test(version) ? `v${version}` : version;
  const arch = process.arch === 'arm64' ? 'aarch64' : process.arch === 'x64' ? 'x86_64' : process.arch;
  const repository = `${base}/${branch}/main`;
  const work = await tempDirFor('sidekick-alpine-');
  const unregisterWork = cleanups?.add(() => rm(work, { recursive: true, force: true }));
  try {
    onProgress?.(`fetching apk.static from ${repository}`);
    const index = await fileFromTar(gunzipSync(await download(`${repository}/${arch}/APKINDEX.tar.gz`)), 'APKINDEX');
    const apkVersion = /(?:^|\n)P:apk-tools-static\n(?:[^\n]+\n)*?V:([^\n]+)/.exec(index.toString('utf8'))?.[1];
    if (apkVersion === undefined) throw new Error('the APKINDEX has no apk-tools-static');
    // An .apk is concatenated gzip members (signature, control, data); gunzip reads them all.
    const apkStatic = await fileFromTar(gunzipSync(await download(`${repository}/${arch}/apk-tools-static-${apkVersion}.apk`)), 'sbin/apk.static');
    const tool = join(work, 'apk.static');
    await writeFile(tool, apkStatic);
    await chmod(tool, 0o755);
    const root = join(work, 'rootfs');
    await mkdir(root);
    onProgress?.(`bootstrapping alpine-base (${branch})`);
    await promisify(execFile)(tool, ['-X', repository, '-U', '--allow-untrusted', '--root', root, '--initdb', 'add', 'alpine-base'], { maxBuffer: 16 << 20 });
    await writeFile(join(root, 'etc/apk/repositories'), `${repository}\n${base}/${branch}/community\n`);
    const names = (await readdir(root)).sort();
    return {
      description: `alpine ${branch} from ${base}`,
      open: () => packPaths(names.map((name) => ({ path: join(root, name), name }))),
      cleanup: () => rm(work, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    if (error instanceof SidekickError) throw error;
    throw new SidekickError('IMAGE_UNAVAILABLE', `cannot bootstrap Alpine from ${base}: ${error instanceof Error ? error.message : String(error)}`, {
      hint: 'Give a reachable mirror with --mirror URL (or SIDEKICK_ALPINE_MIRROR), or use --os with a rootfs tarball.',
    });
  } finally {
    unregisterWork?.();
  }
}

/**
 * Debian's Essential set and apt (`mmdebstrap --variant=apt`, the same tool that builds the
 * package toolboxes), from the mirror this host's apt uses, into a temporary tar; dpkg's
 * maintainer scripts run in mmdebstrap's own chroot here, so the userland arrives configured.
 */
async function bootstrapDebian(suite: string, mirror: string, onProgress?: (message: string) => void, cleanups?: Cleanups): Promise<RootfsSource> {
  const work = await tempDirFor('sidekick-debian-');
  const file = join(work, 'rootfs.tar');
  let child: ReturnType<typeof spawn> | undefined;
  const unregisterWork = cleanups?.add(() => {
    child?.kill('SIGTERM');
    return rm(work, { recursive: true, force: true });
  });
  try {
    onProgress?.(`bootstrapping Debian ${suite} (Essential and apt) with mmdebstrap from ${mirror}`);
    const stderr: string[] = [];
    const spawned = spawn('mmdebstrap', ['--variant=apt', '--format=tar', suite, file, mirror], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = spawned;
    spawned.stderr?.setEncoding('utf8');
    spawned.stderr?.on('data', (text: string) => {
      for (const line of text.split('\n')) if (line !== '') stderr.push(line);
      stderr.splice(0, Math.max(0, stderr.length - 50));
    });
    const result = await new Promise<{ code: number | null; error?: NodeJS.ErrnoException }>((resolve) => {
      spawned.on('error', (error: NodeJS.ErrnoException) => resolve({ code: null, error }));
      spawned.on('close', (code) => resolve({ code }));
    });
    if (result.error?.code === 'ENOENT') {
      throw new SidekickError('IMAGE_UNAVAILABLE', '--os debian is built here with mmdebstrap, which is not installed.', {
        hint: 'Install it (apt-get install mmdebstrap), or give --os a rootfs tarball or a local image.',
      });
    }
    if (result.code !== 0) {
      const last = stderr.filter((line) => /^E:|error/i.test(line)).slice(-2).join(' ') || stderr.slice(-1).join('') || result.error?.message || 'no message';
      throw new SidekickError('IMAGE_UNAVAILABLE', `cannot bootstrap Debian ${suite} from ${mirror}: ${last}`, {
        hint: 'Check the suite and the network, or point --mirror (or SIDEKICK_DEBIAN_MIRROR) at a reachable Debian mirror.',
      });
    }
    const source = await tarballSource(file);
    return { ...source, description: `debian ${suite} from ${mirror}`, cleanup: () => rm(work, { recursive: true, force: true }) };
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  } finally {
    unregisterWork?.();
  }
}

async function download(url: string): Promise<Buffer> {
  const response = await fetch(url, { signal: AbortSignal.timeout(60_000) });
  if (!response.ok) throw new Error(`GET ${url}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

async function fileFromTar(tar: Buffer, name: string): Promise<Buffer> {
  const extract = tarExtract();
  const input = new PassThrough();
  input.pipe(extract as unknown as NodeJS.WritableStream);
  input.end(tar);
  let found: Buffer | undefined;
  for await (const entry of extract) {
    if (found === undefined && entry.header.name.replace(/^\.\//, '') === name) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      found = Buffer.concat(chunks);
    } else {
      entry.resume();
    }
  }
  if (found === undefined) throw new Error(`${name} is not in the archive`);
  return found;
}
