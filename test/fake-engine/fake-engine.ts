/**
 * An Engine in memory, for fast unit tests of the session logic (docs/ARCHITECTURE.md, "The
 * engine: core and capabilities"): containers with labels, status and namespaces; a filesystem
 * per container whose archive API speaks real tar; images; and processes a test scripts.
 * test/contract/engine-contract.ts holds it to what the real Docker engine does.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path/posix';
import { SidekickError } from '../../src/core/errors.js';
import type { ContainerPathStat } from '../../src/core/path-stat.js';
import type { ProcessHandle } from '../../src/core/process-handle.js';
import type { ContainerSummary, NamespaceMode, NetworkMode, Target, TargetStatus } from '../../src/core/target.js';
import type { EngineCommands } from '../../src/engines/engine.js';
import type {
  ArchiveCapability,
  ContainerCapability,
  ContainerExecSpec,
  ContainerSpec,
  Engine,
  FilesystemChange,
  FilesystemDiffCapability,
  FilesystemWalkCapability,
  ImageCapability,
  ImageDetails,
  ImageImport,
  ImageSummary,
  LogCapability,
  ProgressEvent,
  RunningSidekick,
  SidekickSpec,
  SnapshotCapability,
  TargetLockCapability,
} from '../../src/engines/engine.js';
import { targetLocksByContainer } from '../../src/engines/target-locks-by-container.js';
import { ArchiveRefusal, archiveOf, statOf, unpackInto, UploadCut } from './fake-archive.js';
import { FakeFilesystem } from './fake-filesystem.js';
import { FakeProcess, exitsWith, runsUntilSignalled, type ProcessScript } from './fake-process.js';

const PRIVATE: NamespaceMode = { kind: 'private' };

export interface FakeImage {
  id: string;
  repoTags: string[];
  labels: Record<string, string>;
  env: string[];
  cmd: string[];
  entrypoint: string[];
  user: string;
  fs: FakeFilesystem;
}

export interface FakeContainer {
  id: string;
  name: string;
  image: string;
  imageId: string;
  status: TargetStatus;
  labels: Record<string, string>;
  /** Whose namespaces it joined, in the engine-neutral model (core/namespace-mode.ts). */
  namespaces: { pid: NamespaceMode; network: NetworkMode; ipc: NamespaceMode };
  env: string[];
  user: string;
  autoRemove: boolean;
  tty: boolean;
  openStdin: boolean;
  fs: FakeFilesystem;
  /** What the filesystem was made from, for the diff. */
  baseline: FakeFilesystem;
  /** Its first process while it runs. */
  main: FakeProcess | undefined;
  /** What it wrote, as the engine's log keeps it. */
  log: string[];
  /** The spec it was made with (a sidekick's or a created container's), for tests to look at. */
  spec?: SidekickSpec | ContainerSpec;
}

/** What a test makes the fake's processes do; undefined falls back to the built-in behaviour. */
export interface FakeBehaviour {
  /** A sidekick's first process (default: runs until signalled). */
  sidekick?: (spec: SidekickSpec, container: FakeContainer) => ProcessScript | undefined;
  /** A process started in a container (default: a few built-in commands, else 127). */
  exec?: (container: FakeContainer, spec: ContainerExecSpec) => ProcessScript | undefined;
  /** A created container's first process once started (default: runs until signalled). */
  start?: (container: FakeContainer) => ProcessScript | undefined;
}

export interface FakeCall {
  method: string;
  args: unknown[];
}

export class FakeEngine implements Engine, ArchiveCapability, ImageCapability, ContainerCapability, SnapshotCapability, FilesystemDiffCapability, FilesystemWalkCapability, LogCapability {
  readonly kind = 'fake';
  readonly endpoint = 'fake://memory';
  /** Hints name a made-up command: "fake startContainer web". */
  readonly commands: EngineCommands = new Proxy({} as EngineCommands, {
    get: (_, verb) => (...args: unknown[]) => `fake ${String(verb)} ${args.filter((arg) => typeof arg === 'string').join(' ')}`,
  });
  readonly archive: ArchiveCapability | undefined = this;
  readonly images: ImageCapability | undefined = this;
  readonly containers: ContainerCapability | undefined = this;
  readonly snapshots: SnapshotCapability | undefined = this;
  readonly filesystemDiff: FilesystemDiffCapability | undefined = this;
  readonly filesystemWalk: FilesystemWalkCapability | undefined = this;
  readonly logs: LogCapability | undefined = this;
  readonly targetLocks: TargetLockCapability | undefined = targetLocksByContainer(this, this);

  readonly containerMap = new Map<string, FakeContainer>();
  readonly imageMap = new Map<string, FakeImage>();
  /** References pullImage can fetch (from a registry the fake pretends to reach). */
  readonly pullable = new Map<string, Omit<FakeImage, 'id' | 'repoTags'>>();
  readonly calls: FakeCall[] = [];
  /** Every upload, with the names of the entries written, in order. */
  readonly uploads: Array<{ containerId: string; directory: string; entries: string[] }> = [];
  /** The next upload writes this many entries, then fails as if the connection were cut. */
  cutNextUploadAfter: number | undefined;
  behaviour: FakeBehaviour = {};
  closed = false;
  private readonly failures = new Map<string, Array<Error | ((...args: unknown[]) => Error | undefined)>>();

  /** An engine with only the capabilities named (the others are absent), to test a feature's refusal. */
  static without(...missing: Array<'archive' | 'images' | 'containers' | 'snapshots' | 'filesystemDiff' | 'filesystemWalk' | 'logs' | 'targetLocks'>): FakeEngine {
    const engine = new FakeEngine();
    // Its locks are containers: without them, no locks either.
    const gone = missing.includes('containers') ? [...missing, 'targetLocks' as const] : missing;
    for (const name of gone) (engine as { -readonly [K in typeof name]: unknown })[name] = undefined;
    return engine;
  }

  // Setting a world up, for tests.

  addImage(reference: string, setup: Partial<Omit<FakeImage, 'id' | 'repoTags'>> = {}): FakeImage {
    const image: FakeImage = {
      id: `sha256:${randomBytes(32).toString('hex')}`,
      repoTags: [withTag(reference)],
      labels: setup.labels ?? {},
      env: setup.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      cmd: setup.cmd ?? [],
      entrypoint: setup.entrypoint ?? [],
      user: setup.user ?? '',
      fs: setup.fs ?? new FakeFilesystem(),
    };
    this.imageMap.set(image.id, image);
    return image;
  }

  /** A container as if made outside sidekick (`docker run`): running by default, with a first process that runs until signalled. */
  addContainer(name: string, setup: { image?: string; status?: TargetStatus; labels?: Record<string, string>; fs?: FakeFilesystem; main?: ProcessScript } = {}): FakeContainer {
    const image = this.findImage(setup.image ?? 'fake/target:latest') ?? this.addImage(setup.image ?? 'fake/target:latest');
    const container = this.newContainer(name, image, setup.labels ?? {});
    if (setup.fs) {
      // Its image's content, as far as the diff is concerned.
      container.fs = setup.fs;
      container.baseline = setup.fs.clone();
    }
    if ((setup.status ?? 'running') === 'running') this.startMain(container, setup.main ?? runsUntilSignalled, { openStdin: false });
    else container.status = setup.status ?? 'exited';
    return container;
  }

  /** The next `times` calls of `method` fail with `error` (a function may pick the calls it fails). */
  failOn(method: string, error: Error | ((...args: unknown[]) => Error | undefined), times = 1): void {
    const list = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) list.push(error);
    this.failures.set(method, list);
  }

  container(reference: string): FakeContainer | undefined {
    return this.containerMap.get(reference) ?? [...this.containerMap.values()].find((c) => c.name === reference);
  }

  callsOf(method: string): unknown[][] {
    return this.calls.filter((call) => call.method === method).map((call) => call.args);
  }

  // The core.

  async findContainer(reference: string): Promise<Target> {
    this.enter('findContainer', [reference]);
    if (reference === '' || reference.includes('/') || /\s/.test(reference)) {
      throw new SidekickError('TARGET_NOT_FOUND', `"${reference}" is not a container name or ID.`);
    }
    const all = [...this.containerMap.values()];
    const exact = all.find((c) => c.id === reference || c.name === reference);
    if (exact) return this.targetOf(exact);
    const matches = all.filter((c) => c.id.startsWith(reference));
    if (matches.length > 1) throw new SidekickError('TARGET_AMBIGUOUS', `"${reference}" matches ${matches.length} containers.`);
    if (matches.length === 1) return this.targetOf(matches[0]!);
    throw new SidekickError('TARGET_NOT_FOUND', `no container named or with an ID starting "${reference}" on ${this.endpoint}.`);
  }

  async listContainers(options: { all: boolean; labels?: string[] }): Promise<ContainerSummary[]> {
    this.enter('listContainers', [options]);
    return [...this.containerMap.values()]
      .filter((c) => options.all || c.status === 'running')
      .filter((c) => hasLabels(c.labels, options.labels ?? []))
      .map((c) => ({
        id: c.id,
        names: [c.name],
        image: c.image,
        status: c.status,
        labels: { ...c.labels },
        imageId: c.imageId,
        networkMode: c.namespaces.network,
      }));
  }

  async removeContainer(id: string, options: { force: boolean; volumes?: boolean }): Promise<void> {
    this.enter('removeContainer', [id, options]);
    const container = this.containerMap.get(id) ?? this.container(id);
    if (container === undefined) return;
    // As the real engine's client: a running container without force is refused by the engine, and that refusal is taken as fine.
    if (container.status === 'running' && !options.force) return;
    container.main?.deliver('SIGKILL');
    this.containerMap.delete(container.id);
  }

  async stopContainer(id: string, options: { graceSeconds: number }): Promise<void> {
    this.enter('stopContainer', [id, options]);
    const container = this.containerMap.get(id) ?? this.container(id);
    const main = container?.main;
    if (main === undefined || !main.running) return;
    main.deliver('SIGTERM');
    // No clock to wait on: what ignored the TERM is killed at once, as after the grace.
    main.deliver('SIGKILL');
    await main.exit;
  }

  async runSidekick(spec: SidekickSpec): Promise<RunningSidekick> {
    this.enter('runSidekick', [spec]);
    const image = this.findImage(spec.image);
    if (image === undefined) throw new SidekickError('IMAGE_UNAVAILABLE', `image ${spec.image} is not on ${this.endpoint}.`);
    this.assertNameFree(spec.name);
    const container = this.newContainer(spec.name ?? '', image, spec.labels);
    container.spec = spec;
    container.env = [...image.env, ...spec.env];
    container.autoRemove = spec.autoRemove;
    container.tty = spec.tty;
    container.openStdin = spec.openStdin;
    if ('id' in spec.target) {
      const joined: NamespaceMode = { kind: 'container', reference: spec.target.id };
      container.namespaces = { pid: joined, network: joined, ipc: spec.target.joinIpc ? joined : PRIVATE };
    } else {
      container.namespaces = { pid: { kind: 'host' }, network: PRIVATE, ipc: PRIVATE };
    }
    if (spec.preload) await unpackInto(container.fs, spec.preload.directory, spec.preload.tar(), true);
    const process = this.startMain(container, this.behaviour.sidekick?.(spec, container) ?? runsUntilSignalled, spec);
    return { id: container.id, process };
  }

  async execInContainer(containerId: string, spec: ContainerExecSpec): Promise<ProcessHandle> {
    this.enter('execInContainer', [containerId, spec]);
    const container = this.running(containerId);
    const process = new FakeProcess({ openStdin: spec.openStdin });
    const script = this.behaviour.exec?.(container, spec) ?? builtinCommand(container, spec.command);
    queueMicrotask(() => void Promise.resolve(script(process)).catch((error: unknown) => process.writeError(String(error))));
    return process;
  }

  close(): void {
    this.closed = true;
  }

  // Archive.

  async statPath(containerId: string, wanted: string): Promise<ContainerPathStat | undefined> {
    this.enter('statPath', [containerId, wanted]);
    // As Docker's stat (a HEAD request, a 404 without a body): a gone container looks like a missing path.
    const container = this.containerMap.get(containerId);
    return container === undefined ? undefined : statOf(container.fs, wanted);
  }

  async getArchive(containerId: string, wanted: string): Promise<{ tar: NodeJS.ReadableStream; stat: ContainerPathStat | undefined }> {
    this.enter('getArchive', [containerId, wanted]);
    const container = this.existing(containerId);
    try {
      return { tar: archiveOf(container.fs, wanted), stat: statOf(container.fs, wanted) };
    } catch (error) {
      throw refused(error, container, wanted);
    }
  }

  async putArchive(containerId: string, directory: string, tar: NodeJS.ReadableStream, options: { noOverwriteDirNonDir?: boolean } = {}): Promise<void> {
    this.enter('putArchive', [containerId, directory]);
    const container = this.existing(containerId);
    const upload = { containerId, directory, entries: [] as string[] };
    this.uploads.push(upload);
    const cutAfter = this.cutNextUploadAfter;
    this.cutNextUploadAfter = undefined;
    try {
      await unpackInto(container.fs, directory, tar, options.noOverwriteDirNonDir ?? true, { onEntry: (name) => upload.entries.push(name), ...(cutAfter !== undefined ? { cutAfter } : {}) });
    } catch (error) {
      if (error instanceof UploadCut) throw new SidekickError('ENGINE_GONE', 'the engine closed the connection in the middle of the upload.');
      throw refused(error, container, directory);
    }
  }

  // Filesystem diff.

  async filesystemChanges(containerId: string): Promise<FilesystemChange[]> {
    this.enter('filesystemChanges', [containerId]);
    const container = this.existing(containerId);
    return diff(container.baseline, container.fs);
  }

  // Filesystem walk: the fake has no mounts, so every path is on the root's filesystem.

  async rootFilesystemPaths(containerId: string): Promise<string[]> {
    this.enter('rootFilesystemPaths', [containerId]);
    return [...this.existing(containerId).fs.nodes.keys()].filter((at) => at !== '/').sort();
  }

  // Logs.

  async containerLogTail(containerId: string, lines: number): Promise<string> {
    this.enter('containerLogTail', [containerId, lines]);
    return this.existing(containerId).log.slice(-lines).join('');
  }

  // Images.

  async hasImage(reference: string): Promise<boolean> {
    this.enter('hasImage', [reference]);
    return this.findImage(reference) !== undefined;
  }

  async imageLabels(reference: string): Promise<Record<string, string> | undefined> {
    this.enter('imageLabels', [reference]);
    const image = this.findImage(reference);
    return image === undefined ? undefined : { ...image.labels };
  }

  async inspectImage(reference: string): Promise<ImageDetails | undefined> {
    this.enter('inspectImage', [reference]);
    const image = this.findImage(reference);
    if (image === undefined) return undefined;
    return { id: image.id, repoTags: [...image.repoTags], user: image.user, env: [...image.env], entrypoint: [...image.entrypoint], cmd: [...image.cmd], workingDir: '', labels: { ...image.labels } };
  }

  async pullImage(reference: string, onProgress: (event: ProgressEvent) => void): Promise<void> {
    this.enter('pullImage', [reference]);
    const source = this.pullable.get(reference);
    if (source === undefined) throw new SidekickError('IMAGE_UNAVAILABLE', `cannot pull image ${reference}: not in the fake registry`);
    onProgress({ status: 'Pull complete' });
    this.addImage(reference, { ...source, fs: source.fs.clone() });
  }

  async importImage(spec: ImageImport): Promise<void> {
    this.enter('importImage', [spec]);
    const fs = new FakeFilesystem();
    await unpackInto(fs, '/', spec.rootfs, false);
    this.untag(`${spec.repository}:${spec.tag}`);
    this.addImage(`${spec.repository}:${spec.tag}`, { labels: spec.labels, cmd: spec.cmd, fs });
  }

  async tagImage(reference: string, repository: string, tag: string): Promise<void> {
    this.enter('tagImage', [reference, repository, tag]);
    const image = this.findImage(reference);
    if (image === undefined) throw new SidekickError('IMAGE_UNAVAILABLE', `no such image: ${reference}`);
    this.untag(`${repository}:${tag}`);
    image.repoTags.push(`${repository}:${tag}`);
  }

  async removeImage(reference: string, options: { whileContainersUseIt?: boolean } = {}): Promise<void> {
    this.enter('removeImage', [reference, options]);
    const image = this.findImage(reference);
    if (image === undefined) return;
    const tagged = image.repoTags.includes(withTag(reference));
    if (tagged && image.repoTags.length > 1) {
      image.repoTags = image.repoTags.filter((tag) => tag !== withTag(reference));
      return;
    }
    const users = [...this.containerMap.values()].filter((c) => c.imageId === image.id);
    if (users.some((c) => c.status === 'running') || (users.length > 0 && options.whileContainersUseIt !== true)) {
      throw new SidekickError('ENGINE_ERROR', `conflict: unable to remove ${reference}: a container is using it`);
    }
    this.imageMap.delete(image.id);
  }

  async listImages(options: { labels: string[] }): Promise<ImageSummary[]> {
    this.enter('listImages', [options]);
    return [...this.imageMap.values()].filter((image) => hasLabels(image.labels, options.labels)).map((image) => ({ id: image.id, repoTags: [...image.repoTags], labels: { ...image.labels } }));
  }

  async exportImageFilesystem(reference: string, labels: Record<string, string>): Promise<NodeJS.ReadableStream> {
    this.enter('exportImageFilesystem', [reference, labels]);
    const image = this.findImage(reference);
    if (image === undefined) throw new SidekickError('IMAGE_UNAVAILABLE', `image ${reference} is not on ${this.endpoint}.`);
    return archiveOf(image.fs, '/');
  }

  // Containers of sidekick's own.

  async createContainer(spec: ContainerSpec): Promise<string> {
    this.enter('createContainer', [spec]);
    const image = this.findImage(spec.image);
    if (image === undefined) throw new SidekickError('IMAGE_UNAVAILABLE', `image ${spec.image} is not on ${this.endpoint}.`);
    this.assertNameFree(spec.name);
    const container = this.newContainer(spec.name ?? '', image, spec.labels);
    container.spec = spec;
    container.status = 'created';
    container.env = [...image.env, ...spec.env];
    container.autoRemove = spec.autoRemove;
    container.tty = spec.tty;
    container.openStdin = spec.openStdin;
    container.namespaces = { pid: PRIVATE, network: spec.networkMode, ipc: PRIVATE };
    return container.id;
  }

  async startContainer(containerId: string, options: { tty: boolean; openStdin: boolean; autoRemove: boolean }): Promise<FakeProcess> {
    this.enter('startContainer', [containerId, options]);
    const container = this.existing(containerId);
    return this.startMain(container, this.behaviour.start?.(container) ?? runsUntilSignalled, options);
  }

  async attachContainer(containerId: string): Promise<FakeProcess> {
    this.enter('attachContainer', [containerId]);
    const container = this.running(containerId);
    if (container.main === undefined) throw new SidekickError('TARGET_NOT_RUNNING', `container ${container.name} is not running.`);
    return container.main;
  }

  // Snapshots.

  async commitContainer(containerId: string, options: { repository: string; tag: string; labels: Record<string, string>; pause: boolean }): Promise<string> {
    this.enter('commitContainer', [containerId, options]);
    const container = this.existing(containerId);
    const from = this.imageMap.get(container.imageId);
    this.untag(`${options.repository}:${options.tag}`);
    const image = this.addImage(`${options.repository}:${options.tag}`, {
      labels: { ...(from?.labels ?? {}), ...container.labels, ...options.labels },
      env: container.env,
      cmd: from?.cmd ?? [],
      entrypoint: from?.entrypoint ?? [],
      user: container.user,
      fs: container.fs.clone(),
    });
    return image.id;
  }

  // Inside.

  private enter(method: string, args: unknown[]): void {
    this.calls.push({ method, args });
    const queue = this.failures.get(method);
    if (queue === undefined || queue.length === 0) return;
    const next = queue[0]!;
    const error = typeof next === 'function' ? next(...args) : next;
    if (error === undefined) return;
    queue.shift();
    throw error;
  }

  private newContainer(name: string, image: FakeImage, labels: Record<string, string>): FakeContainer {
    const id = randomBytes(32).toString('hex');
    const fs = image.fs.clone();
    const container: FakeContainer = {
      id,
      name: name === '' ? `fake_${id.slice(0, 8)}` : name,
      image: image.repoTags[0] ?? image.id,
      imageId: image.id,
      status: 'created',
      labels: { ...image.labels, ...labels },
      namespaces: { pid: PRIVATE, network: { kind: 'named', name: 'default' }, ipc: PRIVATE },
      env: [...image.env],
      user: image.user,
      autoRemove: false,
      tty: false,
      openStdin: false,
      fs,
      baseline: fs.clone(),
      main: undefined,
      log: [],
    };
    this.containerMap.set(id, container);
    return container;
  }

  private startMain(container: FakeContainer, script: ProcessScript, options: { openStdin: boolean }): FakeProcess {
    const process = new FakeProcess(options);
    container.main = process;
    container.status = 'running';
    process.stdout.on('data', (chunk: Buffer) => container.log.push(chunk.toString()));
    process.whenEnded(() => {
      container.status = 'exited';
      container.main = undefined;
      if (container.autoRemove) this.containerMap.delete(container.id);
    });
    queueMicrotask(() => void Promise.resolve(script(process)).catch((error: unknown) => process.writeError(String(error))));
    return process;
  }

  private findImage(reference: string): FakeImage | undefined {
    const tagged = withTag(reference);
    return [...this.imageMap.values()].find((image) => image.id === reference || image.id === `sha256:${reference}` || image.repoTags.includes(tagged));
  }

  private untag(reference: string): void {
    for (const image of this.imageMap.values()) image.repoTags = image.repoTags.filter((tag) => tag !== reference);
  }

  private assertNameFree(name: string | undefined): void {
    if (name !== undefined && [...this.containerMap.values()].some((c) => c.name === name)) {
      throw new SidekickError('NAME_IN_USE', `cannot create the container: the name "${name}" is already in use.`);
    }
  }

  private existing(containerId: string): FakeContainer {
    const container = this.containerMap.get(containerId);
    if (container === undefined) throw new SidekickError('TARGET_NOT_FOUND', `container ${containerId.slice(0, 12)} no longer exists.`);
    return container;
  }

  private running(containerId: string): FakeContainer {
    const container = this.existing(containerId);
    if (container.status !== 'running') throw new SidekickError('TARGET_NOT_RUNNING', `container ${containerId.slice(0, 12)} is not running.`);
    return container;
  }

  private targetOf(c: FakeContainer): Target {
    return {
      id: c.id,
      name: c.name,
      image: c.image,
      imageId: c.imageId,
      status: c.status,
      hostPid: c.status === 'running' ? 4242 : 0,
      startedAt: new Date(0).toISOString(),
      restartCount: 0,
      exitCode: 0,
      user: c.user,
      env: [...c.env],
      entrypoint: [],
      cmd: [],
      workingDir: '',
      labels: { ...c.labels },
      readOnlyRootfs: false,
      autoRemove: c.autoRemove,
      tty: c.tty,
      openStdin: c.openStdin,
      privileged: false,
      created: new Date(0).toISOString(),
      health: '',
      mounts: [],
      limits: { memoryBytes: 0, nanoCpus: 0, cpuQuotaMicros: 0, cpuPeriodMicros: 0, pidsLimit: 0 },
      appArmorProfile: '',
      capAdd: [],
      capDrop: [],
      securityOpt: [],
      namespaceModes: { network: c.namespaces.network, pid: c.namespaces.pid, ipc: c.namespaces.ipc, uts: PRIVATE, cgroup: PRIVATE, user: PRIVATE },
    };
  }
}

function withTag(reference: string): string {
  const slash = reference.lastIndexOf('/');
  return reference.lastIndexOf(':') > slash || reference.startsWith('sha256:') ? reference : `${reference}:latest`;
}

function hasLabels(labels: Record<string, string>, wanted: string[]): boolean {
  return wanted.every((filter) => {
    const at = filter.indexOf('=');
    return at < 0 ? filter in labels : labels[filter.slice(0, at)] === filter.slice(at + 1);
  });
}

/** An archive refusal as the real engine's client reports it (docker-engine.ts, containerError). */
function refused(error: unknown, container: FakeContainer, where: string): unknown {
  if (!(error instanceof ArchiveRefusal)) return error;
  return new SidekickError('ENGINE_ERROR', `the engine refused at ${where} in container ${container.id.slice(0, 12)}: ${error.message}`, {
    hint: 'Check the path and that the container still exists (docker ps -a).',
  });
}

/** What changed against the image: added and deleted paths, and a directory whose content changed as modified. */
function diff(before: FakeFilesystem, after: FakeFilesystem): FilesystemChange[] {
  const changes = new Map<string, FilesystemChange['kind']>();
  const touch = (at: string): void => {
    for (let dir = path.dirname(at); dir !== '/'; dir = path.dirname(dir)) if (!changes.has(dir) && before.nodes.has(dir)) changes.set(dir, 'modified');
  };
  for (const [at, node] of after.nodes) {
    if (at === '/') continue;
    const old = before.nodes.get(at);
    if (old === undefined) {
      changes.set(at, 'added');
      touch(at);
    } else if (node.type !== 'dir' && JSON.stringify(old) !== JSON.stringify(node)) {
      changes.set(at, 'modified');
      touch(at);
    }
  }
  for (const at of before.nodes.keys()) {
    // Only the top of a removed tree, as the engine's whiteout says it.
    if (at !== '/' && !after.nodes.has(at) && after.nodes.has(path.dirname(at))) {
      changes.set(at, 'deleted');
      touch(at);
    }
  }
  return [...changes].sort(([a], [b]) => a.localeCompare(b)).map(([at, kind]) => ({ path: at, kind }));
}

/** The few commands the fake runs without a script: enough for the contract suite and simple tests. */
function builtinCommand(container: FakeContainer, command: string[]): ProcessScript {
  const [program = '', ...args] = command;
  switch (path.basename(program)) {
    case 'true':
      return exitsWith(0);
    case 'false':
      return exitsWith(1);
    case 'echo':
      return exitsWith(0, { stdout: `${args.join(' ')}\n` });
    case 'cat': {
      const contents = args.map((file) => container.fs.readFile(file));
      const missing = args.filter((_, i) => contents[i] === undefined);
      const found = Buffer.concat(contents.filter((content): content is Buffer => content !== undefined)).toString();
      if (missing.length > 0) return exitsWith(1, { stdout: found, stderr: missing.map((file) => `cat: can't open '${file}': No such file or directory\n`).join('') });
      return exitsWith(0, { stdout: found });
    }
    default:
      return exitsWith(127, { stderr: `${program}: not found (the fake engine runs it only when a test scripts it)\n` });
  }
}
