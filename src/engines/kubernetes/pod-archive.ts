/**
 * The Kubernetes engine's archive capability (docs/ARCHITECTURE.md, "Kubernetes engine", "The
 * archive through an ephemeral sidekick"): the API has no archive endpoint, so a path is
 * stat'd, read and written by the toolbox's busybox in an ephemeral sidekick of the target,
 * running with the target's root as its own (archive-scripts.ts): it cannot be led out of it,
 * and nothing is written into the target but what the caller uploads.
 *
 * Ephemeral containers are never removed from a pod, so there is one sidekick (the keeper) per
 * target for the life of the engine, i.e. per command, and each operation is an exec in it.
 * Operations run one at a time (a read's lasts until its tar has been read), so that no process
 * of an operation is still in the toolbox's root while another's tar runs. The keeper ends when
 * the engine is closed or its client goes (its stdin is the attach stream).
 */
import { readFile } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { filterTar } from '../../core/archive/tar-filter.js';
import { randomNameSuffix, sidekickContainerName } from '../../core/container-name.js';
import { SidekickError, isSidekickError } from '../../core/errors.js';
import { joinsAnother } from '../../core/namespace-mode.js';
import type { ContainerPathStat } from '../../core/path-stat.js';
import type { ProcessHandle } from '../../core/process-handle.js';
import type { Target } from '../../core/target.js';
import type { ArchiveCapability, ContainerExecSpec, FilesystemWalkCapability, RootScriptCapability, RunningSidekick, SidekickSpec } from '../engine.js';
import { ArchiveBreakout, breakoutCheck } from './archive-breakout.js';
import { KEEPER_READY, keeperArgv, operationArgv, splitArchivePath, UNPACKER_INSTALL_SCRIPT, type ArchiveOperation, type ArchiveTargetRef } from './archive-scripts.js';
import { parseArchiveStat, splitStatRecords } from './archive-stat.js';
import { putPinned } from './pinned-put.js';
import { asEngineError, firstLine, kept, operationFailed } from './operation-output.js';

/** What the archive needs of the engine that holds it. */
export interface ArchiveHost {
  readonly pulledToolboxImage: string;
  findContainer(id: string): Promise<Target>;
  runSidekick(spec: SidekickSpec): Promise<RunningSidekick>;
  execInContainer(containerId: string, spec: ContainerExecSpec): Promise<ProcessHandle>;
}

interface StatBatch {
  /** The count of operations queued when it was: it may be joined while nothing was queued after it. */
  queuedAs: number;
  paths: string[];
  bytes: number;
  answers: Array<{ resolve: (stat: ContainerPathStat | undefined) => void; reject: (error: unknown) => void }>;
}

interface Keeper {
  sidekick: RunningSidekick;
  ref: ArchiveTargetRef;
  /** Stats not yet started, which the next ones join. */
  pendingStats?: StatBatch;
  /** Whether the unpacker runs in it, once the first upload that needs it asked. */
  unpacker?: Promise<boolean>;
}

/** How long the keeper may take to say it is in the target's root, once it runs. */
const READY_MS = 30_000;
/** At most this many paths, and bytes of them, in one stat operation: its command line is a URL's query on a pod. */
const STAT_BATCH_PATHS = 64;
const STAT_BATCH_BYTES = 16 * 1024;
/** The line after a script operation's input (no path sidekick sends is this). */
const SCRIPT_INPUT_END = '.sidekick-end-of-input.';
/** How long sending the unpacker into the keeper may take (65 kB; a slow API server). */
const INSTALL_MS = 60_000;

export class PodArchive implements ArchiveCapability, FilesystemWalkCapability, RootScriptCapability {
  readonly startsSidekick = true;
  private readonly keepers = new Map<string, Promise<Keeper>>();
  /** The end of the last operation queued: the next starts after it. */
  private tail: Promise<void> = Promise.resolve();
  /** How many operations were queued so far. */
  private queued = 0;

  /** `unpackerBinary`: the unpacker on this host (native/sidekick-unpack.c), for uploads with noOverwriteDirNonDir. */
  constructor(
    private readonly host: ArchiveHost,
    private readonly unpackerBinary?: string,
  ) {}

  async statPath(containerId: string, path: string): Promise<ContainerPathStat | undefined> {
    let keeper: Keeper;
    try {
      keeper = await this.keeper(containerId);
    } catch (error) {
      // As with the Docker engine, a stat of a container that is gone says only that nothing is there.
      if (isSidekickError(error) && error.code === 'TARGET_NOT_FOUND') return undefined;
      throw error;
    }
    return this.batchedStat(keeper, path);
  }

  /**
   * Stats asked for while the operations before them run wait together, and go as one operation
   * (an exec, with a pod's API round trips, each): `inject --os` asks for dozens at once.
   */
  private batchedStat(keeper: Keeper, path: string): Promise<ContainerPathStat | undefined> {
    let batch = keeper.pendingStats;
    // Only the last operation queued is joined: a stat asked for after a write still sees it.
    if (batch === undefined || batch.queuedAs !== this.queued || batch.paths.length >= STAT_BATCH_PATHS || batch.bytes + path.length > STAT_BATCH_BYTES) {
      const opened: StatBatch = { paths: [], bytes: 0, answers: [], queuedAs: 0 };
      keeper.pendingStats = opened;
      void this.serial(() => this.runStats(keeper, opened)).catch(() => undefined);
      opened.queuedAs = this.queued;
      batch = opened;
    }
    batch.paths.push(path);
    batch.bytes += path.length + 1;
    return new Promise((resolve, reject) => batch.answers.push({ resolve, reject }));
  }

  private async runStats(keeper: Keeper, batch: StatBatch): Promise<void> {
    if (keeper.pendingStats === batch) keeper.pendingStats = undefined;
    try {
      const { output, status, errors } = await this.collect(keeper, { op: 'stat', paths: batch.paths });
      if (status !== 0) throw operationFailed(status, errors, batch.paths.length === 1 ? `could not stat ${batch.paths[0]}` : `could not stat ${batch.paths.length} paths`);
      const records = splitStatRecords(output, batch.paths.length);
      batch.paths.forEach((path, i) => {
        try {
          batch.answers[i]!.resolve(parseArchiveStat(path, records[i]!));
        } catch (error) {
          batch.answers[i]!.reject(error);
        }
      });
    } catch (error) {
      for (const answer of batch.answers) answer.reject(error);
    }
  }

  /** The rootScripts capability: the program run by the keeper's shell in the target's root. */
  async runInRoot(containerId: string, request: { script: string; args: string[]; input: string }): Promise<{ code: number; output: string; errors: string }> {
    if (request.input.split('\n').includes(SCRIPT_INPUT_END)) throw new Error('runInRoot: the input holds the line that ends it');
    const keeper = await this.keeper(containerId);
    const input = `${request.input}${request.input === '' || request.input.endsWith('\n') ? '' : '\n'}${SCRIPT_INPUT_END}\n`;
    return this.serial(async () => {
      const { output, status, errors } = await this.collect(keeper, { op: 'script', end: SCRIPT_INPUT_END, script: request.script, args: request.args }, input);
      return { code: status, output: output.toString('utf8'), errors };
    });
  }

  /** The filesystemWalk capability: one `find -xdev` in the target's root. */
  async rootFilesystemPaths(containerId: string): Promise<string[]> {
    const keeper = await this.keeper(containerId);
    return this.serial(async () => {
      const { output, status, errors } = await this.collect(keeper, { op: 'walk' });
      if (status !== 0) throw operationFailed(status, errors, 'could not list the paths of its filesystem');
      return parseWalk(output);
    });
  }

  async getArchive(containerId: string, path: string): Promise<{ tar: NodeJS.ReadableStream; stat: ContainerPathStat | undefined }> {
    const stat = await this.statPath(containerId, path);
    if (stat === undefined) {
      throw new SidekickError('ENGINE_ERROR', `Could not find the file ${path} in container ${containerId}.`);
    }
    const keeper = await this.keeper(containerId);
    const tar = new PassThrough({ highWaterMark: 1 << 20 });
    // Its reader learns of a failure by its own listener; a stream never read must not throw.
    tar.on('error', () => undefined);
    await this.serial(async () => {
      const process = await this.start(keeper, { op: 'get', path, ...splitArchivePath(path) }, false);
      const errors = kept(process.stderr);
      process.stdout.pipe(tar, { end: false });
      // Ends, or fails, only once the exit status is known: a tar cut short is never a clean end.
      const done = Promise.all([finished(process.stdout), process.exit]).then(
        async ([, status]) => {
          if (status.code === 0) tar.end();
          else tar.destroy(operationFailed(status.code, await errors, `could not read ${path}`));
        },
        (error: unknown) => void tar.destroy(asEngineError(error, `could not read ${path}`) as Error),
      );
      tar.on('close', () => {
        if (!tar.writableFinished) process.detach();
      });
      // The queue moves on when this read is over: read whole, failed, or given up by its reader.
      // Wrapped: a promise returned as such would be awaited here, before the caller can read.
      return { settled: Promise.race([done, new Promise<void>((resolve) => tar.on('close', resolve))]) };
    }, async ({ settled }) => settled);
    return { tar, stat };
  }

  async putArchive(containerId: string, directory: string, tar: NodeJS.ReadableStream, options?: { noOverwriteDirNonDir?: boolean }): Promise<void> {
    const keeper = await this.keeper(containerId);
    if (options?.noOverwriteDirNonDir) {
      await this.serial(async () => {
        if (await this.unpackerOf(keeper)) await this.putStreamed(keeper, { op: 'unpack', directory }, tar);
        else await putPinned((operation) => this.start(keeper, operation, true), directory, tar);
      });
      return;
    }
    await this.serial(() => this.putStreamed(keeper, { op: 'put', directory }, tar));
  }

  /** One operation reads the whole tar on its stdin; entries that would leave `directory` end it first. */
  private async putStreamed(keeper: Keeper, operation: Extract<ArchiveOperation, { op: 'put' | 'unpack' }>, tar: NodeJS.ReadableStream): Promise<void> {
    const { directory } = operation;
    const process = await this.start(keeper, operation, true);
    const errors = kept(process.stderr);
    process.stdout.resume();
    const filter = filterTar(breakoutCheck(directory));
    let refused: unknown;
    let failedInput: unknown;
    const stdin = process.stdin!;
    // An unpacker that refused an entry reads the rest; a tar may stop reading: the status says why.
    stdin.on('error', () => undefined);
    filter.on('error', (error: Error) => {
      refused = error;
      // What came before the refused entry is written, as with the Docker engine; nothing after it.
      filter.unpipe(stdin);
      stdin.end();
    });
    tar.on('error', (error: Error) => {
      failedInput = error;
      filter.unpipe(stdin);
      stdin.end();
    });
    (tar as Readable).pipe(filter).pipe(stdin);
    let status;
    try {
      status = await process.exit;
    } catch (error) {
      throw asEngineError(error, `could not write into ${directory}`);
    }
    if (refused !== undefined) {
      throw new SidekickError('ENGINE_ERROR', refused instanceof ArchiveBreakout ? refused.message : `the archive for ${directory} cannot be read: ${(refused as Error).message}`, { cause: refused });
    }
    if (failedInput !== undefined) throw failedInput;
    if (status.code !== 0) throw operationFailed(status.code, await errors, `could not write into ${directory}`);
  }

  /**
   * Whether the keeper has the unpacker: sent once, on the first upload that needs it, over an
   * exec's stdin into the keeper's own /bin. False without one on this host, or when it does not
   * run on the node (another architecture, a kernel before openat2): uploads then go in pinned
   * segments.
   */
  private unpackerOf(keeper: Keeper): Promise<boolean> {
    keeper.unpacker ??= this.installUnpacker(keeper);
    return keeper.unpacker;
  }

  private async installUnpacker(keeper: Keeper): Promise<boolean> {
    if (this.unpackerBinary === undefined) return false;
    const binary = await readFile(this.unpackerBinary).catch(() => undefined);
    if (binary === undefined) return false;
    let process: ProcessHandle;
    try {
      process = await this.host.execInContainer(keeper.sidekick.id, { command: ['sh', '-c', UNPACKER_INSTALL_SCRIPT, 'sidekick-install', String(binary.length)], tty: false, openStdin: true });
    } catch {
      return false;
    }
    process.stdout.resume();
    process.stderr.resume();
    process.stdin!.on('error', () => undefined);
    process.stdin!.end(binary);
    // An install that hangs is given up, and the upload goes in pinned segments.
    const timer = setTimeout(() => process.detach(), INSTALL_MS);
    const status = await process.exit.catch(() => undefined).finally(() => clearTimeout(timer));
    return status?.code === 0;
  }

  /** Ends every keeper: its stdin ends, then its connection. */
  close(): void {
    for (const pending of this.keepers.values()) {
      void pending.then(
        ({ sidekick }) => {
          sidekick.process.stdin?.end();
          setTimeout(() => sidekick.process.detach(), 1_000).unref();
        },
        () => undefined,
      );
    }
    this.keepers.clear();
  }

  private keeper(containerId: string): Promise<Keeper> {
    let pending = this.keepers.get(containerId);
    if (pending === undefined) {
      pending = this.startKeeper(containerId);
      this.keepers.set(containerId, pending);
      pending.catch(() => this.keepers.delete(containerId));
    }
    return pending;
  }

  private async startKeeper(containerId: string): Promise<Keeper> {
    const target = await this.host.findContainer(containerId);
    if (target.status !== 'running') {
      throw new SidekickError('TARGET_NOT_RUNNING', `container ${target.name} is ${target.status}; on Kubernetes its files are reached through an ephemeral container, which needs it running.`, {
        hint: 'Its files can be read once it runs again (a pod restarts it by its restart policy).',
      });
    }
    const ref: ArchiveTargetRef = { targetId: target.runtimeId || target.id, sharesPid: joinsAnother(target.namespaceModes.pid) };
    const sidekick = await this.host.runSidekick({
      image: this.host.pulledToolboxImage,
      command: keeperArgv(ref),
      target: { id: target.id, joinIpc: false },
      env: [],
      tty: false,
      openStdin: true,
      labels: {},
      capAdd: [],
      privileged: false,
      autoRemove: false,
      // Named as every sidekick is (sidekick-pod-NAME-CONTAINER-xxxxxx), so that the pod's spec says what it was.
      name: sidekickContainerName(target.name, randomNameSuffix()),
    });
    sidekick.process.exit.catch(() => undefined);
    const errors = kept(sidekick.process.stderr);
    if (!(await readyLine(sidekick.process.stdout))) {
      sidekick.process.stdin?.end();
      const status = await sidekick.process.exit.catch(() => undefined);
      throw new SidekickError('ENGINE_ERROR', `the archive sidekick in ${target.name} could not reach its root (status ${status?.code ?? 'unknown'}): ${firstLine(await errors) || 'no message'}.`, {
        hint: 'Its files are read through an ephemeral container in its PID namespace; see kubectl describe pod for its state.',
      });
    }
    sidekick.process.stdout.resume();
    return { sidekick, ref };
  }

  private async start(keeper: Keeper, operation: ArchiveOperation, openStdin: boolean): Promise<ProcessHandle> {
    try {
      return await this.host.execInContainer(keeper.sidekick.id, { command: operationArgv(keeper.ref, operation), tty: false, openStdin });
    } catch (error) {
      throw asEngineError(error, `could not start the archive operation ${operation.op}`);
    }
  }

  /** Runs an operation to its end, with `input` as its stdin when given; its output whole. */
  private async collect(keeper: Keeper, operation: ArchiveOperation, input?: string): Promise<{ output: Buffer; status: number; errors: string }> {
    const process = await this.start(keeper, operation, input !== undefined);
    const chunks: Buffer[] = [];
    process.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const errors = kept(process.stderr);
    if (input !== undefined) {
      process.stdin!.on('error', () => undefined);
      process.stdin!.end(input);
    }
    let status;
    try {
      // The output read to its end too: the status may be known before the last bytes are read.
      [, status] = await Promise.all([finished(process.stdout), process.exit]);
    } catch (error) {
      throw asEngineError(error, `the archive operation ${operation.op} failed`);
    }
    return { output: Buffer.concat(chunks), status: status.code, errors: await errors };
  }

  /**
   * Runs `work` after every operation queued before it. The next one waits for its result, and
   * with `until`, for what that says (a read: until its stream is over).
   */
  private serial<T>(work: () => Promise<T>, until?: (value: T) => Promise<void>): Promise<T> {
    this.queued += 1;
    const result = this.tail.then(work);
    this.tail = result.then(
      async (value) => {
        await until?.(value);
      },
      () => undefined,
    ).catch(() => undefined);
    return result;
  }
}

/** `find -print0`'s output: absolute paths, each ended by a NUL; "/" itself left out. */
export function parseWalk(output: Buffer): string[] {
  return output
    .toString('utf8')
    .split('\0')
    .filter((path) => path.startsWith('/') && path !== '/')
    .sort();
}

function readyLine(stdout: NodeJS.ReadableStream): Promise<boolean> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => done(false), READY_MS);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('utf8');
      if (text.includes(`${KEEPER_READY}\n`)) done(true);
      else if (text.length > 1024) done(false);
    };
    const onEnd = (): void => done(false);
    function done(ok: boolean): void {
      clearTimeout(timer);
      stdout.off('data', onData);
      stdout.off('end', onEnd);
      stdout.pause();
      resolve(ok);
    }
    stdout.on('data', onData);
    stdout.on('end', onEnd);
  });
}
