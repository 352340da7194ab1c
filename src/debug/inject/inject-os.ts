/**
 * `sidekick inject --os`: a whole userland written into the target's root, only where the
 * target has nothing (core/inject/os-conflict-plan.ts), so that its package manager works there.
 * The toolbox goes in first (`sidekick shell` uses it). The manifest, with every path the upload
 * writes, travels as the first entry of the upload, so that a half-written OS is still recorded
 * and eject removes exactly that (core/inject/eject-plan.ts).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { parseEntryPath } from '../../core/archive/entry-path.js';
import { filterTar, listTar, type RawEntry, type RawEntryType } from '../../core/archive/tar-filter.js';
import { fileReadInto, planTarSend, scanTarSpans, sendTarSpans, type TarScan } from '../../core/archive/tar-spans.js';
import { SidekickError } from '../../core/errors.js';
import { newSessionId, sessionLabels } from '../../core/labels.js';
import { encodeManifest, MANIFEST_FORMAT, MAX_MANIFEST_BYTES, OS_MANIFEST_PATH, type OsManifest } from '../../core/inject/injection-manifest.js';
import { packageManagerShellLeftOut, pathsToProbe, planOsInjection, type OsEntry, type OsEntryType, type OsPlan, type TargetKind } from '../../core/inject/os-conflict-plan.js';
import { parentOf } from '../../core/inject/container-path.js';
import type { Target } from '../../core/target.js';
import type { Engine } from '../../engines/engine.js';
import { kindOf, listDirectoryKinds, readContainerFile } from './container-files.js';
import type { Cleanups } from './cleanups.js';
import { injectToolbox, type ToolboxInjection } from './inject-toolbox.js';
import { openRootfsSource, type RootfsSource } from './os-rootfs-source.js';
import { requireCapability } from '../../engines/capabilities.js';
import { addedPathsOf } from './added-paths.js';

export interface OsInjectOptions {
  ref: string;
  prefix: string;
  skipConflicts: boolean;
  mirror?: string;
  sidekickVersion: string;
  env: NodeJS.ProcessEnv;
  onProgress?: (message: string) => void;
  /** Where temporary files, the export container and uploads register their undoing (signals). */
  cleanups?: Cleanups;
}

export interface OsInjection {
  manifest: OsManifest;
  plan: OsPlan;
  toolbox: ToolboxInjection;
}

const PROBE_CONCURRENCY = 64;
/** What a manifest holds besides its path lists, with room to spare. */
const MANIFEST_ROOM = 1 << 20;
/** Wanted paths in one directory from which one archive read of it is asked for instead of a stat each. */
const LIST_FROM = 8;

export async function injectOs(engine: Engine, target: Target, options: OsInjectOptions): Promise<OsInjection> {
  const archive = requireCapability(engine, 'archive', 'inject an OS (sidekick inject --os)');
  const added = addedPathsOf(engine, 'inject an OS (sidekick inject --os)');
  const phase = phaseTimer(options.env);
  if (target.readOnlyRootfs) {
    throw new SidekickError('READ_ONLY_TARGET', `the root filesystem of ${target.name} is read-only; an OS cannot be injected into it.`, {
      hint: `Use sidekick exec ${target.name} (any toolbox image, nothing written), or the busybox toolbox below a writable mount (sidekick inject --prefix).`,
    });
  }
  // Nothing is written before the upload: the diff (or walk) taken now is the baseline eject goes back to.
  const baseline = added.list(target.id);
  baseline.catch(() => undefined);
  const existing = await archive.statPath(target.id, OS_MANIFEST_PATH);
  if (existing !== undefined) {
    const ours = (await readContainerFile(engine, target.id, OS_MANIFEST_PATH, 1 << 20)) !== undefined;
    throw new SidekickError('INJECTION_REFUSED', `${target.name} already has ${ours ? 'an injected OS' : `something at ${OS_MANIFEST_PATH}`}.`, {
      hint: ours ? `Eject it first: sidekick eject ${target.name}.` : 'sidekick will not write over it.',
    });
  }
  const source = await openRootfsSource(options.ref, {
    env: options.env,
    engine,
    labels: sessionLabels({ session: newSessionId(), kind: 'copy', target: target.id, created: new Date() }),
    ...(options.mirror !== undefined ? { mirror: options.mirror } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.cleanups ? { cleanups: options.cleanups } : {}),
  });
  const unregister = options.cleanups?.add(() => source.cleanup());
  const listing = await openListing(source).catch(async (error: unknown) => {
    await source.cleanup();
    unregister?.();
    throw error;
  });
  try {
    phase('source open');
    options.onProgress?.(`reading ${source.description}`);
    const entries = await listing.entries();
    phase(`listed ${entries.length} entries`);
    const known = await probeTarget(engine, target, entries);
    const plan = planOsInjection(entries, known);
    phase('probed and planned');
    // Before the conflicts' own message, which would suggest --skip-conflicts.
    const shellLeftOut = packageManagerShellLeftOut(entries, plan.conflicts);
    if (shellLeftOut !== undefined) {
      throw new SidekickError(
        'INJECTION_REFUSED',
        `the OS's ${shellLeftOut} conflicts with ${target.name}'s own, and left out it would make the OS's package manager run ${target.name}'s /bin/sh: dpkg's scripts start with #!/bin/sh, and a busybox shell there runs its own applets (its dpkg) before the OS's programs.`,
        { hint: `Nothing was written. Debug ${target.name} with sidekick exec --tools PACKAGES instead, or inject the OS into a target without its own /bin.` },
      );
    }
    if (plan.conflicts.length > 0 && !options.skipConflicts) {
      const listed = plan.conflicts.slice(0, 8).map((c) => `${c.path} (${c.detail})`).join('; ');
      throw new SidekickError('INJECTION_REFUSED', `the OS conflicts with ${target.name} at ${plan.conflicts.length} path(s): ${listed}${plan.conflicts.length > 8 ? '; …' : ''}.`, {
        hint: 'Nothing was written. Leave those paths (and everything below them) out with --skip-conflicts.',
      });
    }
    // A name with a newline is kept whatever it is (eject-plan.ts); a manifest holds none.
    const baselineAdded = (await baseline).filter((path) => !path.includes('\n'));
    const written = writtenPaths(plan);
    // The manifest lists both; one too large to be read back could never be ejected.
    const listed = [...baselineAdded, ...written].reduce((bytes, path) => bytes + Buffer.byteLength(path) + 4, 0);
    if (listed > MAX_MANIFEST_BYTES - MANIFEST_ROOM) {
      throw new SidekickError('INJECTION_REFUSED', `${target.name} has too many paths (${baselineAdded.length}) for the record of an OS injection, which lists them to be able to eject it.`, {
        hint: `Nothing was written. Use sidekick exec ${target.name} --tools PACKAGES, or sidekick inject ${target.name} (the toolbox alone).`,
      });
    }
    // The toolbox first: it refuses a hostile prefix before anything of the OS is written. The
    // engine serves one archive request per container at a time, so side by side would gain nothing.
    const toolbox = await injectToolbox(engine, target, {
      prefix: options.prefix,
      sidekickVersion: options.sidekickVersion,
      env: options.env,
      ...(options.cleanups ? { onUpload: (abort: () => void) => options.cleanups!.add(abort), checkpoint: () => options.cleanups!.checkpoint() } : {}),
    });
    phase('toolbox written');
    const manifest: OsManifest = {
      format: MANIFEST_FORMAT,
      kind: 'os',
      nonce: randomBytes(12).toString('hex'),
      source: source.description,
      createdAt: new Date().toISOString(),
      sidekickVersion: options.sidekickVersion,
      targetId: target.id,
      createdRoots: [...plan.createdRoots, OS_MANIFEST_PATH].sort(),
      existingDirs: plan.existingDirs,
      keptCount: plan.kept.length,
      conflicts: plan.conflicts.map((c) => c.path),
      baselineAdded,
      ...(added.kind === 'walk' ? { baseline: 'walk' as const } : {}),
      toolboxPrefix: toolbox.manifest.prefix,
      written,
    };
    options.onProgress?.(`writing ${plan.write.size} entries into ${target.name}`);
    await options.cleanups?.checkpoint();
    await uploadOs(engine, target, await listing.upload(plan.write, encodeManifest(manifest)), options.cleanups);
    phase('OS written');
    await options.cleanups?.checkpoint();
    await verifyDirectories(engine, target, plan.existingDirs);
    phase('verified');
    return { manifest, plan, toolbox };
  } finally {
    listing.close();
    await source.cleanup();
    unregister?.();
  }
}

async function uploadOs(engine: Engine, target: Target, upload: Readable, cleanups: Cleanups | undefined): Promise<void> {
  const archive = requireCapability(engine, 'archive', 'inject an OS (sidekick inject --os)');
  const stopUpload = cleanups?.add(() => void upload.destroy(new Error('interrupted')));
  await archive.putArchive(target.id, '/', upload, { noOverwriteDirNonDir: true }).finally(() => stopUpload?.()).catch((error: unknown) => {
    if (error instanceof SidekickError && /cannot overwrite|non-directory|not a directory/i.test(error.message)) {
      throw new SidekickError('INJECTION_REFUSED', `${target.name} changed a path while the OS was being written; the engine stopped the upload.`, {
        hint: `What was written is recorded: sidekick eject ${target.name} removes it.`,
        cause: error,
      });
    }
    throw error;
  });
}

/** The entries of the source, then the upload of those the plan writes, after the manifest. */
interface Listing {
  entries(): Promise<OsEntry[]>;
  upload(write: ReadonlySet<string>, manifest: string): Promise<Readable>;
  close(): void;
}

/**
 * A plain tar file on this host is scanned for its headers only and its planned byte ranges
 * are sent as they are (core/archive/tar-spans.ts); any other source is read as a stream twice,
 * through the filter.
 */
async function openListing(source: RootfsSource): Promise<Listing> {
  if (source.tarFile === undefined) {
    return {
      entries: async () => toOsEntries(await listTar(source.open())).entries,
      upload: async (write, manifest) => filteredTar(source.open(), write, manifest),
      close: () => undefined,
    };
  }
  const fd = openSync(source.tarFile, 'r');
  let scan: TarScan = { spans: [], heads: Buffer.alloc(0) };
  let paths: Array<string | undefined> = [];
  let closed = false;
  return {
    entries: async () => {
      scan = scanTarSpans(fileReadInto(fd));
      const listed = toOsEntries(scan.spans.flatMap((span) => (span.entry ? [span.entry] : [])));
      let next = 0;
      paths = scan.spans.map((span) => (span.entry ? listed.paths[next++] : undefined));
      return listed.entries;
    },
    upload: async (write, manifest) => {
      const plan = planTarSend(scan, (_, i) => paths[i] !== undefined && write.has(paths[i]!));
      return sendTarSpans(fd, plan, await manifestRecords(manifest));
    },
    close: () => {
      if (!closed) closeSync(fd);
      closed = true;
    },
  };
}

/** `SIDEKICK_INJECT_TIMINGS=1`: each phase's end on stderr, in ms since the process started (docs/BENCHMARKS.md). */
function phaseTimer(env: NodeJS.ProcessEnv): (what: string) => void {
  if (env.SIDEKICK_INJECT_TIMINGS !== '1') return () => undefined;
  return (what) => void process.stderr.write(`sidekick: ${performance.now().toFixed(0)} ms ${what}\n`);
}

/**
 * What the upload creates: the planned entries and the directories the engine makes for them
 * on the way (a tar may name /opt/x without /opt), within the roots the target did not have.
 */
function writtenPaths(plan: OsPlan): string[] {
  const roots = new Set(plan.createdRoots);
  const written = new Set<string>([...plan.createdRoots, OS_MANIFEST_PATH]);
  for (const path of plan.write) {
    written.add(path);
    if (roots.has(path)) continue;
    // Every written path lies below a created root: walk up to it.
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      const ancestor = path.slice(0, i);
      written.add(ancestor);
      if (roots.has(ancestor)) break;
    }
  }
  return [...written].filter((path) => plan.createdRoots.some((root) => path === root || path.startsWith(`${root}/`))).sort();
}

/**
 * Entry names normalized to absolute paths (`paths`, one per raw entry); a name that escapes
 * (.., absolute) refuses the whole tar.
 */
function toOsEntries(raw: readonly RawEntry[]): { entries: OsEntry[]; paths: string[] } {
  const entries: OsEntry[] = [];
  const paths: string[] = [];
  for (const entry of raw) {
    const path = absoluteName(entry.name);
    paths.push(path);
    if (path === '/') continue;
    const type = entryType(entry.type);
    const linkTarget = type === 'hardlink' && entry.linkname ? absoluteName(entry.linkname) : undefined;
    entries.push({ path, type, ...(linkTarget !== undefined ? { linkTarget } : {}) });
  }
  return { entries, paths };
}

function absoluteName(name: string): string {
  const parsed = parseEntryPath(name.replace(/^\/+/, ''));
  if (!parsed.ok) {
    throw new SidekickError('BAD_USAGE', `the OS archive has an entry ${JSON.stringify(name)} that ${parsed.reason}.`, { hint: 'Use a plain rootfs tarball.' });
  }
  return `/${parsed.components.join('/')}`;
}

function entryType(type: RawEntryType): OsEntryType {
  return type === 'directory' ? 'dir' : type;
}

/**
 * Asks the engine about exactly the paths the planner needs, level by level: a stat per path,
 * or, for a directory (not "/") with many of them, one archive read of it while it is small.
 */
async function probeTarget(engine: Engine, target: Target, entries: OsEntry[]): Promise<Map<string, TargetKind>> {
  const archive = requireCapability(engine, 'archive', 'inject an OS (sidekick inject --os)');
  const known = new Map<string, TargetKind>();
  // Directories read whole: what their listing does not name is absent, however deep.
  const listed = new Set<string>();
  const inListed = (path: string): boolean => {
    for (let dir = parentOf(path); dir !== '/'; dir = parentOf(dir)) if (listed.has(dir)) return true;
    return false;
  };
  for (;;) {
    let wanted = pathsToProbe(entries, known);
    if (wanted.length === 0) return known;
    for (const path of wanted) if (inListed(path)) known.set(path, 'absent');
    wanted = wanted.filter((path) => !known.has(path));
    const byParent = new Map<string, string[]>();
    for (const path of wanted) {
      const dir = parentOf(path);
      const siblings = byParent.get(dir);
      if (siblings === undefined) byParent.set(dir, [path]);
      else siblings.push(path);
    }
    const listable = [...byParent].filter(([dir, paths]) => dir !== '/' && paths.length >= LIST_FROM);
    await Promise.all(
      listable.map(async ([dir, paths]) => {
        const kinds = await listDirectoryKinds(engine, target.id, dir);
        if (kinds === undefined) return;
        listed.add(dir);
        for (const [path, kind] of kinds) known.set(path, kind);
        for (const path of paths) if (!kinds.has(path)) known.set(path, 'absent');
      }),
    );
    wanted = wanted.filter((path) => !known.has(path));
    for (let i = 0; i < wanted.length; i += PROBE_CONCURRENCY) {
      const batch = wanted.slice(i, i + PROBE_CONCURRENCY);
      const stats = await Promise.all(batch.map((path) => archive.statPath(target.id, path)));
      batch.forEach((path, j) => known.set(path, kindOf(stats[j])));
    }
  }
}

/**
 * The planned entries of the OS tar, passed through as they are (names keep their "./"), after
 * the manifest. The engine unpacks it at "/".
 */
async function filteredTar(source: Readable, write: ReadonlySet<string>, manifest: string): Promise<Readable> {
  const filter = filterTar((entry) => write.has(absoluteName(entry.name)), await manifestRecords(manifest));
  source.on('error', (error: Error) => filter.destroy(error));
  return source.pipe(filter);
}

/** The manifest as tar records, without the end-of-archive blocks that close a whole tar. */
async function manifestRecords(manifest: string): Promise<Buffer> {
  const archive = pack();
  archive.entry({ name: OS_MANIFEST_PATH.slice(1), type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: new Date() }, manifest);
  archive.finalize();
  const chunks: Buffer[] = [];
  for await (const chunk of archive as unknown as AsyncIterable<Buffer>) chunks.push(chunk);
  const whole = Buffer.concat(chunks);
  return whole.subarray(0, whole.length - 1024);
}

/** The directories written into must still be directories: a swap to a symlink mid-upload is reported. */
async function verifyDirectories(engine: Engine, target: Target, dirs: string[]): Promise<void> {
  const archive = requireCapability(engine, 'archive', 'inject an OS (sidekick inject --os)');
  const stats = await Promise.all(dirs.map((dir) => archive.statPath(target.id, dir)));
  const changed = dirs.filter((_, i) => kindOf(stats[i]) !== 'dir');
  if (changed.length === 0) return;
  throw new SidekickError('INJECTION_REFUSED', `${changed.join(', ')} in ${target.name} stopped being a directory while the OS was written.`, {
    hint: `The container is rearranging its files; sidekick eject ${target.name} removes what was recorded.`,
  });
}
