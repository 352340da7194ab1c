/**
 * `sidekick inject` (toolbox form): a static busybox and a link per applet under a private
 * prefix, written through the engine's archive API only (docs/ARCHITECTURE.md, "Injection").
 *
 * Atomic as far as anyone reading it is concerned: the toolbox goes up in one tar with an intent
 * record as its first file and the manifest as its last, so the engine writes the manifest only
 * once it has written everything else. A cut upload (Ctrl-C, kill -9, the engine gone)
 * therefore leaves a prefix with the intent record and no manifest: never used as a toolbox,
 * completed by the next inject, removed by eject without running it. Then the sizes are checked;
 * a toolbox that does not check out has its manifest emptied (an interrupted injection again).
 *
 * Against a target that rearranges its files while we write: the tar's first entry is the prefix
 * directory itself, and so is the entry just before the manifest, unpacked into the prefix's
 * parent with noOverwriteDirNonDir, so a symlink swapped in at the prefix after our check (or
 * during the upload) makes the engine refuse rather than write the manifest through it; and the engine unpacks inside the container's root, so
 * nothing can land on the host whatever the target does. Afterwards the prefix is checked
 * again: a directory that is not ours with our manifest in it means the target interfered.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { TAR_END, tarArchive, tarRecords, type TarRecord } from '../../core/archive/tar-writer.js';
import { SidekickError } from '../../core/errors.js';
import { baseName, parentOf } from '../../core/inject/container-path.js';
import { encodeManifest, MANIFEST_FORMAT, TOOLBOX_INTENT_NAME, TOOLBOX_MANIFEST_NAME, type ToolboxManifest } from '../../core/inject/injection-manifest.js';
import type { Target } from '../../core/target.js';
import type { Engine, EngineCommands } from '../../engines/engine.js';
import { withCommand } from '../engine-hint.js';
import { readBusyboxFile } from '../busybox-file.js';
import { findStaticBusybox, findStaticInit } from '../toolbox.js';
import { kindOf } from './container-files.js';
import { checkPrefix } from './prefix-guard.js';
import { requireCapability } from '../../engines/capabilities.js';

export interface ToolboxInjection {
  manifest: ToolboxManifest;
  /** false when this very toolbox was already there (nothing written). */
  written: boolean;
}

export interface ToolboxInjectOptions {
  prefix: string;
  sidekickVersion: string;
  env: NodeJS.ProcessEnv;
  /**
   * Told when an upload starts, with a way to abort it (an interrupted CLI stops sending);
   * returns what to call when the upload is over.
   */
  onUpload?: (abort: () => void) => () => void;
  /** Awaited before each step that writes; an interrupted run never gets past it. */
  checkpoint?: () => Promise<void>;
}

export function assertRunning(target: Target, commands: EngineCommands): void {
  if (target.status === 'running') return;
  throw new SidekickError('TARGET_NOT_RUNNING', `container ${target.name} is ${target.status}; sidekick injects only into running containers.`, {
    hint: target.status === 'paused' ? `${withCommand('Unpause it', commands.unpauseContainer(target.name))}.` : `Debug a copy of it with sidekick exec --copy ${target.name}.`,
  });
}

export async function injectToolbox(engine: Engine, target: Target, options: ToolboxInjectOptions): Promise<ToolboxInjection> {
  const { prefix } = options;
  const [state, busybox] = await Promise.all([checkPrefix(engine, target, prefix), loadBusybox(options.env)]);
  if (state.state === 'injected') return { manifest: state.manifest, written: false };

  const manifest: ToolboxManifest = {
    format: MANIFEST_FORMAT,
    kind: 'toolbox',
    nonce: randomBytes(12).toString('hex'),
    source: `busybox ${busybox.path} sha256:${busybox.digest}`,
    createdAt: new Date().toISOString(),
    sidekickVersion: options.sidekickVersion,
    targetId: target.id,
    prefix,
    applets: busybox.applets.length,
  };
  const manifestText = encodeManifest(manifest);
  // Whole seconds: what a tar header and the engine's stat both keep exactly.
  const mtime = new Date(Math.floor(Date.now() / 1000) * 1000);
  const name = baseName(prefix);
  // One upload: the intent record first, the manifest last, behind the prefix directory named
  // again (see the module comment). Cut anywhere before its end, it is an interrupted injection.
  await options.checkpoint?.();
  await upload(engine, target, prefix, toolboxTar(name, busybox, manifestText, mtime), options.onUpload);
  await options.checkpoint?.();
  await verifyToolbox(engine, target, prefix, [
    [TOOLBOX_INTENT_NAME, { bytes: Buffer.byteLength(manifestText), mtime }],
    ['bin/busybox', { bytes: busybox.binary.length }],
    ...(busybox.init ? [[INJECTED_INIT_NAME, { bytes: busybox.init.length }] as [string, { bytes: number }]] : []),
    [TOOLBOX_MANIFEST_NAME, { bytes: Buffer.byteLength(manifestText), mtime }],
  ]).catch(async (error: unknown) => {
    // Not verified, so not published: the manifest is emptied, which leaves an interrupted injection.
    await requireCapability(engine, 'archive', 'inject a toolbox (sidekick inject)').putArchive(target.id, parentOf(prefix), withdrawnManifestTar(name, mtime), { noOverwriteDirNonDir: true }).catch(() => undefined);
    throw error;
  });
  return { manifest, written: true };
}

async function upload(engine: Engine, target: Target, prefix: string, tar: Readable, onUpload?: (abort: () => void) => () => void): Promise<void> {
  const archive = requireCapability(engine, 'archive', 'inject a toolbox (sidekick inject)');
  // Unpacked into the parent with the prefix as the first entry (see the module comment).
  const stop = onUpload?.(() => tar.destroy(new Error('interrupted')));
  try {
    await archive.putArchive(target.id, parentOf(prefix), tar, { noOverwriteDirNonDir: true });
  } catch (error) {
    // A failed upload into a prefix that is no longer a directory is the target interfering, not an engine fault.
    const now = await archive.statPath(target.id, prefix).catch(() => undefined);
    throw explainPutFailure(error, target, prefix, kindOf(now) !== 'dir' && kindOf(now) !== 'absent');
  } finally {
    stop?.();
  }
}

/**
 * The prefix must now be a directory holding the files we wrote, at the sizes (and mtimes) we
 * gave them. Judged from stats alone: reading a file back would cost the engine a chrooted tar
 * process, a third of the whole injection.
 */
async function verifyToolbox(engine: Engine, target: Target, prefix: string, files: Array<[string, { bytes: number; mtime?: Date }]>): Promise<void> {
  const archive = requireCapability(engine, 'archive', 'inject a toolbox (sidekick inject)');
  const [dir, ...stats] = await Promise.all([prefix, ...files.map(([name]) => `${prefix}/${name}`)].map((path) => archive.statPath(target.id, path)));
  const filesOk = files.every(([, want], i) => {
    const stat = stats[i];
    return kindOf(stat) === 'file' && stat?.size === want.bytes && (want.mtime === undefined || stat.mtime.getTime() === want.mtime.getTime());
  });
  if (kindOf(dir) === 'dir' && filesOk) return;
  throw new SidekickError('INJECTION_REFUSED', `${prefix} in ${target.name} changed while sidekick was writing it; the injection is not trusted.`, {
    hint: `The container is rearranging its files. Look with sidekick exec ${target.name}, which writes nothing into it.`,
  });
}

function explainPutFailure(error: unknown, target: Target, prefix: string, swapped: boolean): unknown {
  if (!(error instanceof SidekickError) || error.code !== 'ENGINE_ERROR') return error;
  if (swapped) {
    return new SidekickError('INJECTION_REFUSED', `${prefix} in ${target.name} changed while sidekick was writing it; the engine stopped the upload.`, {
      hint: `The container is rearranging its files. Look with sidekick exec ${target.name}, which writes nothing into it.`,
      cause: error,
    });
  }
  if (/read-only/i.test(error.message)) {
    return new SidekickError('READ_ONLY_TARGET', `${parentOf(prefix)} in ${target.name} is on a read-only filesystem.`, {
      hint: `Inject below a writable mount with --prefix, or use sidekick exec ${target.name}, which writes nothing.`,
      cause: error,
    });
  }
  if (/cannot overwrite|non-directory|not a directory/i.test(error.message)) {
    return new SidekickError('INJECTION_REFUSED', `something appeared at ${prefix} in ${target.name} while sidekick was writing; nothing was written through it.`, {
      hint: 'The container is changing that path. Look with sidekick exec, which writes nothing into it.',
      cause: error,
    });
  }
  return error;
}

/**
 * The injected toolbox's init (a static tini), below the prefix and off PATH: `shell` runs its
 * session under it, so that what the session orphans is reaped by it and not by the target's
 * PID 1 (docs/RELIABILITY.md, "zombies").
 */
export const INJECTED_INIT_NAME = 'sidekick-init';

interface Busybox {
  path: string;
  binary: Buffer;
  /** This host's static tini; undefined when it has none (shell then runs without an init). */
  init: Buffer | undefined;
  digest: string;
  applets: string[];
}

let preloaded: { env: NodeJS.ProcessEnv; busybox: Promise<Busybox> } | undefined;

/**
 * Starts reading the host's busybox (and asking it for its applets) while the engine is asked
 * about the target: the two do not depend on each other, and a CLI run is short.
 */
export function preloadBusybox(env: NodeJS.ProcessEnv): void {
  const busybox = readBusybox(env);
  busybox.catch(() => undefined);
  preloaded = { env, busybox };
}

function loadBusybox(env: NodeJS.ProcessEnv): Promise<Busybox> {
  if (preloaded?.env === env) return preloaded.busybox;
  return readBusybox(env);
}

async function readBusybox(env: NodeJS.ProcessEnv): Promise<Busybox> {
  const path = await findStaticBusybox(env);
  if (path === undefined) {
    throw new SidekickError('TOOLBOX_UNAVAILABLE', 'no static busybox was found on this host to inject.', {
      hint: 'Install one (apt-get install busybox-static) or point SIDEKICK_BUSYBOX at a static busybox binary.',
    });
  }
  const initPath = await findStaticInit(env);
  const [busybox, init] = await Promise.all([readBusyboxFile(path, env), initPath === undefined ? undefined : readFile(initPath)]);
  return { path, init, ...busybox };
}

const OWNER = { uid: 0, gid: 0, uname: 'root', gname: 'root' };

/**
 * Directory first (see the module comment), the intent record second so that even a
 * half-written toolbox is recognised and removed by eject, the manifest last, after the
 * directory again. World-readable and executable: the
 * target's own user (65532 in distroless images) must be able to run it. Applets are hard
 * links, so one binary is stored. Encoded in memory before the upload starts
 * (core/archive/tar-writer.ts): the engine is never kept waiting for a header.
 */
function toolboxTar(name: string, busybox: Busybox, manifest: string, mtime: Date): Readable {
  const common = { ...OWNER, mtime };
  const records: TarRecord[] = [
    { ...common, name: `${name}/`, type: 'directory', mode: 0o755 },
    { ...common, name: `${name}/${TOOLBOX_INTENT_NAME}`, type: 'file', mode: 0o644, content: manifest },
    { ...common, name: `${name}/bin/`, type: 'directory', mode: 0o755 },
    { ...common, name: `${name}/bin/busybox`, type: 'file', mode: 0o755, content: busybox.binary },
    ...(busybox.init ? [{ ...common, name: `${name}/${INJECTED_INIT_NAME}`, type: 'file' as const, mode: 0o755, content: busybox.init }] : []),
    ...busybox.applets.map((applet): TarRecord => ({ ...common, name: `${name}/bin/${applet}`, type: 'link', linkname: `${name}/bin/busybox`, mode: 0o755 })),
    // The prefix again: the engine stops here, before the manifest, if it is no longer a directory.
    { ...common, name: `${name}/`, type: 'directory', mode: 0o755 },
    { ...common, name: `${name}/${TOOLBOX_MANIFEST_NAME}`, type: 'file', mode: 0o644, content: manifest },
  ];
  return Readable.from([...tarRecords(records), TAR_END], { objectMode: false });
}

/** An empty manifest, below the prefix directory (an entry the engine refuses to put over a symlink): no longer a manifest. */
function withdrawnManifestTar(name: string, mtime: Date): Readable {
  return Readable.from(
    [
      tarArchive([
        { ...OWNER, mtime, name: `${name}/`, type: 'directory', mode: 0o755 },
        { ...OWNER, mtime, name: `${name}/${TOOLBOX_MANIFEST_NAME}`, type: 'file', mode: 0o644, content: '' },
      ]),
    ],
    { objectMode: false },
  );
}
