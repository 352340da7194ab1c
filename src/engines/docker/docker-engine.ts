import { MuxDecoder } from '../../core/mux-stream.js';
import { TINI_GROUP_VARIABLE } from '../../core/copy-script.js';
import { SidekickError } from '../../core/errors.js';
import type { ExitStatus } from '../../core/process-handle.js';
import { normalizeStatus, type ContainerSummary, type Target, type TargetMount } from '../../core/target.js';
import { CONTAINER_PATH_STAT_HEADER, decodeContainerPathStat, type ContainerPathStat } from './container-path-stat.js';
import type { ProcessHandle } from '../../core/process-handle.js';
import type {
  ArchiveCapability,
  ContainerCapability,
  ContainerExecSpec,
  FilesystemDiffCapability,
  ImageCapability,
  LogCapability,
  SnapshotCapability,
  ContainerProcessSpec,
  ContainerSpec,
  Engine,
  FilesystemChange,
  ImageDetails,
  ImageImport,
  ImageSummary,
  ProgressEvent,
  RunningSidekick,
  SidekickSpec,
} from '../engine.js';
import { attachedProcess } from './attached-process.js';
import { DockerApi, EngineHttpError } from './docker-api.js';
import type { Endpoint } from './endpoint.js';
import { matchContainers } from './match-containers.js';

/** The process part of a container's or an image's configuration, as the engine reports it. */
interface ConfigResponse {
  User?: string;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
}

interface InspectResponse {
  Id: string;
  Name: string;
  Image: string;
  Created?: string;
  AppArmorProfile?: string;
  RestartCount?: number;
  State?: {
    Status?: string;
    Pid?: number;
    StartedAt?: string;
    FinishedAt?: string;
    ExitCode?: number;
    OOMKilled?: boolean;
    Error?: string;
    Health?: { Status?: string; FailingStreak?: number; Log?: Array<{ ExitCode?: number; Output?: string; End?: string }> | null } | null;
  };
  Mounts?: Array<{ Type?: string; Source?: string; Name?: string; Destination?: string; RW?: boolean }> | null;
  Config?: ConfigResponse & { Image?: string };
  HostConfig?: {
    IpcMode?: string;
    ReadonlyRootfs?: boolean;
    Privileged?: boolean;
    NetworkMode?: string;
    PidMode?: string;
    UTSMode?: string;
    CgroupnsMode?: string;
    UsernsMode?: string;
    Memory?: number;
    NanoCpus?: number;
    CpuQuota?: number;
    CpuPeriod?: number;
    PidsLimit?: number | null;
    CapAdd?: string[] | null;
    CapDrop?: string[] | null;
    SecurityOpt?: string[] | null;
    Tmpfs?: Record<string, string> | null;
    AutoRemove?: boolean;
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number } | null;
  };
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string; IPPrefixLen?: number; Gateway?: string; GlobalIPv6Address?: string; GlobalIPv6PrefixLen?: number } | null> | null } | null;
}

interface ImageInspectResponse {
  Id: string;
  Created?: string;
  RepoTags?: string[] | null;
  Config?: ConfigResponse | null;
}

interface ListEntry {
  Id: string;
  Names?: string[];
  Image?: string;
  ImageID?: string;
  State?: string;
  Labels?: Record<string, string> | null;
  HostConfig?: { NetworkMode?: string };
}

/** Docker has every capability; each is this engine itself, seen through the capability's interface. */
export class DockerEngine implements Engine, ArchiveCapability, ImageCapability, ContainerCapability, SnapshotCapability, FilesystemDiffCapability, LogCapability {
  readonly kind = 'Docker';
  readonly endpoint: string;
  readonly archive: ArchiveCapability = this;
  readonly images: ImageCapability = this;
  readonly containers: ContainerCapability = this;
  readonly snapshots: SnapshotCapability = this;
  readonly filesystemDiff: FilesystemDiffCapability = this;
  readonly logs: LogCapability = this;
  private readonly api: DockerApi;

  constructor(endpoint: Endpoint) {
    this.api = new DockerApi(endpoint);
    this.endpoint = endpoint.url;
  }

  async findContainer(reference: string): Promise<Target> {
    if (reference === '' || reference.includes('/') || /\s/.test(reference)) {
      throw new SidekickError('TARGET_NOT_FOUND', `"${reference}" is not a container name or ID.`, {
        hint: 'List containers with `docker ps`.',
      });
    }
    try {
      return toTarget(await this.api.json<InspectResponse>('GET', `/containers/${encodeURIComponent(reference)}/json`));
    } catch (error) {
      // 404: no such container; 400/500 "multiple IDs found": an ambiguous prefix (the status differs by version).
      const ambiguous = error instanceof EngineHttpError && /multiple ids/i.test(error.engineMessage);
      if (!(error instanceof EngineHttpError) || (error.statusCode !== 404 && !ambiguous)) throw error;
    }
    // Not found by the engine's own rules: either nothing matches or a prefix is ambiguous.
    const matches = matchContainers(await this.listContainers({ all: true }), reference);
    if (matches.length > 1) {
      const listed = matches.map((c) => `${c.id.slice(0, 12)} (${c.names[0] ?? '?'})`).join(', ');
      throw new SidekickError('TARGET_AMBIGUOUS', `"${reference}" matches ${matches.length} containers: ${listed}.`, {
        hint: 'Use a longer ID prefix or the container name.',
      });
    }
    if (matches.length === 1) {
      return toTarget(await this.api.json<InspectResponse>('GET', `/containers/${matches[0]!.id}/json`));
    }
    throw new SidekickError('TARGET_NOT_FOUND', `no container named or with an ID starting "${reference}" on ${this.endpoint}.`, {
      hint: 'List containers with `docker ps -a`.',
    });
  }

  async listContainers(options: { all: boolean; labels?: string[] }): Promise<ContainerSummary[]> {
    const filters = options.labels && options.labels.length > 0 ? JSON.stringify({ label: options.labels }) : undefined;
    const list = await this.api.json<ListEntry[]>('GET', '/containers/json', { query: { all: options.all, filters } });
    return list.map((entry) => ({
      id: entry.Id,
      names: (entry.Names ?? []).map((name) => name.replace(/^\//, '')),
      image: entry.Image ?? '',
      status: normalizeStatus(entry.State),
      labels: entry.Labels ?? {},
      ...(entry.ImageID !== undefined ? { imageId: entry.ImageID } : {}),
      ...(entry.HostConfig?.NetworkMode !== undefined ? { networkMode: entry.HostConfig.NetworkMode } : {}),
    }));
  }

  async removeContainer(id: string, options: { force: boolean; volumes?: boolean }): Promise<void> {
    try {
      await this.api.json('DELETE', `/containers/${id}`, { query: { force: options.force, v: options.volumes ?? true } });
    } catch (error) {
      // Already gone (auto-remove won the race) or already being removed: that is what was wanted.
      if (error instanceof EngineHttpError && (error.statusCode === 404 || error.statusCode === 409)) return;
      throw error;
    }
  }

  async stopContainer(id: string, options: { graceSeconds: number }): Promise<void> {
    try {
      await this.api.json('POST', `/containers/${id}/stop`, { query: { t: options.graceSeconds } });
    } catch (error) {
      // Gone already (auto-remove) or being removed: stopped is what was wanted.
      if (error instanceof EngineHttpError && (error.statusCode === 404 || error.statusCode === 409)) return;
      throw error;
    }
  }

  async hasImage(reference: string): Promise<boolean> {
    return (await this.imageLabels(reference)) !== undefined;
  }

  async imageLabels(reference: string): Promise<Record<string, string> | undefined> {
    try {
      const image = await this.api.json<{ Config?: { Labels?: Record<string, string> | null } }>(
        'GET',
        `/images/${encodeURIComponent(reference)}/json`,
      );
      return image.Config?.Labels ?? {};
    } catch (error) {
      if (error instanceof EngineHttpError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  async importImage(spec: ImageImport): Promise<void> {
    const changes = [
      ...Object.entries(spec.labels).map(([key, value]) => `LABEL ${key}=${JSON.stringify(value)}`),
      `CMD ${JSON.stringify(spec.cmd)}`,
    ];
    const response = await this.api.stream('POST', '/images/create', {
      query: { fromSrc: '-', repo: spec.repository, tag: spec.tag, changes },
      file: spec.rootfs,
    });
    await drainProgress(response, () => undefined);
  }

  async pullImage(reference: string, onProgress: (event: ProgressEvent) => void): Promise<void> {
    const { name, tag } = splitReference(reference);
    try {
      const response = await this.api.stream('POST', '/images/create', { query: { fromImage: name, tag } });
      await drainProgress(response, onProgress);
    } catch (error) {
      if (error instanceof EngineHttpError || error instanceof ProgressError) {
        throw new SidekickError('IMAGE_UNAVAILABLE', `cannot pull image ${reference}: ${error instanceof EngineHttpError ? error.engineMessage : error.message}`, {
          hint: 'Check the name, build or load it locally (`docker images`), or log in to its registry.',
          cause: error,
        });
      }
      throw error;
    }
  }

  async runSidekick(spec: SidekickSpec): Promise<RunningSidekick> {
    const body = {
      ...processConfig({ ...spec, entrypoint: spec.command, cmd: null }),
      HostConfig: {
        ...joinedNamespaces(spec.target),
        CapAdd: spec.capAdd,
        Privileged: spec.privileged,
        AutoRemove: spec.autoRemove,
        ...(spec.binds ? { Binds: spec.binds.map((bind) => `${bind.source}:${bind.target}`) } : {}),
      },
    };
    const id = await this.create(body, spec, 'sidekick');
    try {
      if (spec.preload) await this.putArchive(id, spec.preload.directory, spec.preload.tar());
      return { id, process: await this.attachAndStart(id, spec) };
    } catch (error) {
      await this.removeContainer(id, { force: true }).catch(() => undefined);
      if (error instanceof EngineHttpError) {
        const noShell = /no such file|not found in \$PATH/i.test(error.engineMessage);
        throw new SidekickError('ENGINE_ERROR', `the engine could not start the sidekick: ${error.engineMessage}`, {
          cause: error,
          hint: noShell
            ? 'A toolbox image needs /bin/sh; drop --image to use the built-in busybox.'
            : 'Check the engine log (dockerd) and that the target is still running; --debug shows details.',
        });
      }
      throw error;
    }
  }

  async attachContainer(id: string, options: { tty: boolean; openStdin: boolean; autoRemove: boolean; detachKeys?: string }): Promise<ProcessHandle> {
    const { socket, waitForExit } = await this.attach(id, options);
    return this.attachedContainer(id, socket, waitForExit, options);
  }

  private async attachAndStart(id: string, options: { tty: boolean; openStdin: boolean; autoRemove: boolean; detachKeys?: string }): Promise<ProcessHandle> {
    const { socket, waitForExit } = await this.attach(id, options);
    try {
      await this.api.json('POST', `/containers/${id}/start`);
    } catch (error) {
      socket.destroy();
      throw error;
    }
    return this.attachedContainer(id, socket, waitForExit, options);
  }

  private async attach(id: string, options: { openStdin: boolean; autoRemove: boolean; detachKeys?: string }) {
    // The engine watches stdin for detach keys too (ctrl-p,ctrl-q unless told): it must watch for the
    // same ones as the CLI, which catches them first, or it would detach on keys the CLI passed on.
    const socket = await this.api.hijack(`/containers/${id}/attach`, {
      query: { stream: true, stdin: options.openStdin, stdout: true, stderr: true, detachKeys: options.detachKeys },
    });
    // Asked for before start: with auto-remove the container may be gone before a later wait could ask.
    const waitForExit = this.waitForExit(id, options.autoRemove ? 'removed' : 'next-exit');
    waitForExit.catch(() => undefined);
    return { socket, waitForExit };
  }

  private attachedContainer(id: string, socket: Awaited<ReturnType<DockerApi['hijack']>>, waitForExit: Promise<ExitStatus>, options: { tty: boolean; openStdin: boolean }): ProcessHandle {
    return attachedProcess({
      socket,
      tty: options.tty,
      openStdin: options.openStdin,
      waitForExit,
      resize: (cols, rows) => this.resize(id, cols, rows),
      signal: (signal) => this.signal(id, signal),
    });
  }

  async inspectImage(reference: string): Promise<ImageDetails | undefined> {
    let raw: ImageInspectResponse;
    try {
      raw = await this.api.json<ImageInspectResponse>('GET', `/images/${encodeURIComponent(reference)}/json`);
    } catch (error) {
      // 404: not there; 400: not even a valid reference, which is "not there" for the person asking.
      if (error instanceof EngineHttpError && (error.statusCode === 404 || error.statusCode === 400)) return undefined;
      throw error;
    }
    return {
      id: raw.Id,
      repoTags: raw.RepoTags ?? [],
      user: raw.Config?.User ?? '',
      env: raw.Config?.Env ?? [],
      entrypoint: raw.Config?.Entrypoint ?? [],
      cmd: raw.Config?.Cmd ?? [],
      workingDir: raw.Config?.WorkingDir ?? '',
      labels: raw.Config?.Labels ?? {},
      ...(raw.Created ? { created: raw.Created } : {}),
    };
  }

  async containerLogTail(containerId: string, lines: number): Promise<string> {
    const response = await this.api.stream('GET', `/containers/${encodeURIComponent(containerId)}/logs`, {
      query: { stdout: '1', stderr: '1', tail: String(lines) },
    });
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
    const raw = Buffer.concat(chunks);
    // Without a TTY the log comes multiplexed (stdout and stderr frames); with one, as written.
    try {
      const decoder = new MuxDecoder();
      const frames = decoder.push(raw);
      if (decoder.bufferedBytes === 0) return Buffer.concat(frames.map((frame) => frame.payload)).toString('utf8');
    } catch {
      // not multiplexed
    }
    return raw.toString('utf8');
  }

  async commitContainer(
    containerId: string,
    options: { repository: string; tag: string; labels: Record<string, string>; pause: boolean },
  ): Promise<string> {
    const changes = Object.entries(options.labels).map(([key, value]) => `LABEL ${key}=${JSON.stringify(value)}`);
    try {
      const result = await this.api.json<{ Id: string }>('POST', '/commit', {
        query: { container: containerId, repo: options.repository, tag: options.tag, pause: options.pause, changes },
        body: {},
      });
      return result.Id;
    } catch (error) {
      throw this.containerError(error, containerId);
    }
  }

  async removeImage(reference: string, options: { whileContainersUseIt?: boolean } = {}): Promise<void> {
    try {
      // The engine's force overrides only the conflict with stopped and created containers, never a running one.
      await this.api.json('DELETE', `/images/${encodeURIComponent(reference)}`, { query: { force: options.whileContainersUseIt === true, noprune: false } });
    } catch (error) {
      if (error instanceof EngineHttpError && error.statusCode === 404) return;
      throw error;
    }
  }

  async tagImage(reference: string, repository: string, tag: string): Promise<void> {
    await this.api.json('POST', `/images/${encodeURIComponent(reference)}/tag`, { query: { repo: repository, tag } });
  }

  async listImages(options: { labels: string[] }): Promise<ImageSummary[]> {
    const filters = JSON.stringify({ label: options.labels });
    const list = await this.api.json<Array<{ Id: string; RepoTags?: string[] | null; Labels?: Record<string, string> | null }>>(
      'GET',
      '/images/json',
      { query: { filters } },
    );
    return list.map((image) => ({
      id: image.Id,
      repoTags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
      labels: image.Labels ?? {},
    }));
  }

  /** POST /containers/create, with the engine's refusals a person can act on said plainly. */
  private async create(body: unknown, spec: { image: string; name?: string }, noun: 'sidekick' | 'container'): Promise<string> {
    try {
      return (await this.api.json<{ Id: string }>('POST', '/containers/create', { query: { name: spec.name }, body })).Id;
    } catch (error) {
      if (!(error instanceof EngineHttpError)) throw error;
      if (error.statusCode === 404 && /no such image/i.test(error.engineMessage)) {
        throw new SidekickError('IMAGE_UNAVAILABLE', `image ${spec.image} is not on ${this.endpoint}.`, { cause: error });
      }
      if (error.statusCode === 409) {
        throw new SidekickError(/already in use/i.test(error.engineMessage) ? 'NAME_IN_USE' : 'BAD_USAGE', `cannot create the ${noun}: ${error.engineMessage}`, {
          hint: 'Pick another --name, or remove the container that has it.',
        });
      }
      if (noun === 'sidekick') throw error;
      throw new SidekickError('ENGINE_ERROR', `the engine could not create the container: ${error.engineMessage}`, {
        cause: error,
        hint: 'Check that its image, volumes and networks still exist; --debug shows details.',
      });
    }
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const primary = spec.networkMode;
    // tini's own switch for -g; the copy's start script unsets it before the user's command runs.
    const env = spec.initForwardingToGroup ? [...spec.env, `${TINI_GROUP_VARIABLE}=1`] : spec.env;
    const body = {
      ...processConfig({ ...spec, env }),
      ...(spec.disableHealthcheck ? { Healthcheck: { Test: ['NONE'] } } : {}),
      HostConfig: {
        NetworkMode: primary,
        Mounts: spec.mounts.map((mount) => ({
          Type: mount.type,
          Target: mount.destination,
          ReadOnly: mount.readOnly,
          ...(mount.type === 'tmpfs' ? {} : { Source: mount.source }),
        })),
        CapAdd: spec.capAdd,
        Privileged: spec.privileged,
        AutoRemove: spec.autoRemove,
        ...(spec.initForwardingToGroup ? { Init: true } : {}),
      },
    };
    const id = await this.create(body, spec, 'container');
    try {
      for (const network of spec.extraNetworks) {
        await this.api.json('POST', `/networks/${encodeURIComponent(network)}/connect`, { body: { Container: id } });
      }
    } catch (error) {
      await this.removeContainer(id, { force: true }).catch(() => undefined);
      if (error instanceof EngineHttpError) {
        throw new SidekickError('ENGINE_ERROR', `the engine could not connect the container to its networks: ${error.engineMessage}`, {
          cause: error,
          hint: 'A network of the original may have been removed (docker network ls).',
        });
      }
      throw error;
    }
    return id;
  }

  async startContainer(containerId: string, options: { tty: boolean; openStdin: boolean; autoRemove: boolean; detachKeys?: string }): Promise<ProcessHandle> {
    try {
      return await this.attachAndStart(containerId, options);
    } catch (error) {
      if (error instanceof EngineHttpError) {
        throw new SidekickError('ENGINE_ERROR', `the engine could not start container ${containerId.slice(0, 12)}: ${error.engineMessage}`, {
          cause: error,
          hint: 'Check the engine log (dockerd); --debug shows details.',
        });
      }
      throw error;
    }
  }

  private async waitForExit(id: string, condition: 'removed' | 'next-exit'): Promise<ExitStatus> {
    const result = await this.api.json<{ StatusCode?: number; Error?: { Message?: string } | null }>(
      'POST',
      `/containers/${id}/wait`,
      { query: { condition } },
    );
    return { code: result.StatusCode ?? 125 };
  }

  private async resize(id: string, cols: number, rows: number): Promise<void> {
    try {
      await this.api.json('POST', `/containers/${id}/resize`, { query: { h: rows, w: cols } });
    } catch (error) {
      // Resizing a process that just ended is not worth reporting.
      if (!(error instanceof EngineHttpError)) throw error;
    }
  }

  private async signal(id: string, signal: string): Promise<void> {
    try {
      await this.api.json('POST', `/containers/${id}/kill`, { query: { signal } });
    } catch (error) {
      if (!(error instanceof EngineHttpError && (error.statusCode === 404 || error.statusCode === 409))) throw error;
    }
  }

  async execInContainer(containerId: string, spec: ContainerExecSpec): Promise<ProcessHandle> {
    const { Id: execId } = await this.api.json<{ Id: string }>('POST', `/containers/${containerId}/exec`, {
      body: {
        AttachStdin: spec.openStdin,
        AttachStdout: true,
        AttachStderr: true,
        Tty: spec.tty,
        Cmd: spec.command,
        Env: spec.env ?? [],
        User: spec.user ?? '',
        WorkingDir: spec.workingDir ?? '',
      },
    }).catch((error: unknown) => {
      throw this.containerError(error, containerId);
    });
    const socket = await this.api.hijack(`/exec/${execId}/start`, { body: { Detach: false, Tty: spec.tty } });
    return attachedProcess({
      socket,
      tty: spec.tty,
      openStdin: spec.openStdin,
      waitForExit: () => this.execExitStatus(execId),
      resize: async (cols, rows) => {
        await this.api.json('POST', `/exec/${execId}/resize`, { query: { h: rows, w: cols } }).catch(() => undefined);
      },
      // The exec API has no signal call; with a TTY, ^C travels as a byte through the terminal.
      signal: async () => undefined,
    });
  }

  /**
   * The exec API has no wait call: its output can end (a closed stdout) before the process
   * does, so its state is asked for until it says the process is no longer running.
   */
  private async execExitStatus(execId: string): Promise<ExitStatus> {
    for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
      const state = await this.api.json<{ ExitCode?: number | null; Running?: boolean }>('GET', `/exec/${execId}/json`);
      if (state.Running !== true) return { code: state.ExitCode ?? 126 };
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async statPath(containerId: string, path: string): Promise<ContainerPathStat | undefined> {
    try {
      const headers = await this.api.headers('HEAD', `/containers/${containerId}/archive`, { query: { path } });
      return decodeContainerPathStat(headers[CONTAINER_PATH_STAT_HEADER]).stat;
    } catch (error) {
      if (error instanceof EngineHttpError && error.statusCode === 404 && !/no such container/i.test(error.engineMessage)) return undefined;
      throw this.containerError(error, containerId);
    }
  }

  async getArchive(containerId: string, path: string): Promise<{ tar: NodeJS.ReadableStream; stat: ContainerPathStat | undefined }> {
    try {
      const response = (await this.api.stream('GET', `/containers/${containerId}/archive`, { query: { path } })) as NodeJS.ReadableStream & {
        headers?: Record<string, string | string[] | undefined>;
      };
      return { tar: response, stat: decodeContainerPathStat(response.headers?.[CONTAINER_PATH_STAT_HEADER]).stat };
    } catch (error) {
      throw this.containerError(error, containerId, path);
    }
  }

  async putArchive(
    containerId: string,
    directory: string,
    tar: NodeJS.ReadableStream,
    options: { noOverwriteDirNonDir?: boolean } = {},
  ): Promise<void> {
    try {
      const response = await this.api.stream('PUT', `/containers/${containerId}/archive`, {
        query: { path: directory, noOverwriteDirNonDir: options.noOverwriteDirNonDir ?? true },
        file: tar,
      });
      response.resume();
      await new Promise<void>((resolve, reject) => {
        response.once('end', resolve);
        response.once('error', reject);
      });
    } catch (error) {
      throw this.containerError(error, containerId, directory);
    }
  }

  async filesystemChanges(containerId: string): Promise<FilesystemChange[]> {
    const changes = await this.api.json<Array<{ Path: string; Kind: number }> | null>('GET', `/containers/${containerId}/changes`);
    const kinds = ['modified', 'added', 'deleted'] as const;
    // An unchanged container answers `null`, which the API layer hands back as an empty body, not an array.
    return (Array.isArray(changes) ? changes : []).map((change) => ({ path: change.Path, kind: kinds[change.Kind] ?? 'modified' }));
  }

  async exportImageFilesystem(reference: string, labels: Record<string, string>): Promise<NodeJS.ReadableStream> {
    let id: string;
    try {
      // A command is required by the engine, never run: the container is only a handle on the image's layers.
      const body = { Image: reference, Entrypoint: ['/sidekick-export-never-runs'], Cmd: null, Labels: labels, NetworkDisabled: true };
      id = (await this.api.json<{ Id: string }>('POST', '/containers/create', { body })).Id;
    } catch (error) {
      if (error instanceof EngineHttpError && error.statusCode === 404) {
        throw new SidekickError('IMAGE_UNAVAILABLE', `image ${reference} is not on ${this.endpoint}.`, {
          hint: 'Build or pull it first (docker pull), or give a rootfs tarball.',
          cause: error,
        });
      }
      throw error;
    }
    const remove = (): void => void this.removeContainer(id, { force: true }).catch(() => undefined);
    try {
      const tar = await this.api.stream('GET', `/containers/${id}/export`);
      tar.once('close', remove);
      tar.once('end', remove);
      tar.once('error', remove);
      return tar;
    } catch (error) {
      remove();
      throw error;
    }
  }

  /** Engine answers about a container, turned into messages a person can act on. */
  private containerError(error: unknown, containerId: string, path?: string): unknown {
    if (!(error instanceof EngineHttpError)) return error;
    const short = containerId.slice(0, 12);
    if (/no such container/i.test(error.engineMessage)) {
      return new SidekickError('TARGET_NOT_FOUND', `container ${short} no longer exists.`, { cause: error });
    }
    if (error.statusCode === 409 && /not running|paused/i.test(error.engineMessage)) {
      return new SidekickError('TARGET_NOT_RUNNING', `container ${short}: ${error.engineMessage}`, { cause: error });
    }
    const where = path === undefined ? '' : ` at ${path}`;
    return new SidekickError('ENGINE_ERROR', `the engine refused${where} in container ${short}: ${error.engineMessage}`, {
      cause: error,
      hint: 'Check the path and that the container still exists (docker ps -a).',
    });
  }

  close(): void {
    this.api.close();
  }
}

class ProgressError extends Error {}

async function drainProgress(response: NodeJS.ReadableStream, onProgress: (event: ProgressEvent) => void): Promise<void> {
  let buffered = '';
  let failure: string | undefined;
  for await (const chunk of response) {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line === '') continue;
      let event: { id?: string; status?: string; progress?: string; error?: string; errorDetail?: { message?: string } };
      try {
        event = JSON.parse(line);
      } catch {
        continue;
      }
      if (event.error || event.errorDetail) failure = event.errorDetail?.message ?? event.error;
      else if (event.status) onProgress({ status: event.status, ...(event.id ? { id: event.id } : {}), ...(event.progress ? { progress: event.progress } : {}) });
    }
  }
  if (failure !== undefined) throw new ProgressError(failure);
}

export function splitReference(reference: string): { name: string; tag: string } {
  const at = reference.indexOf('@');
  if (at >= 0) return { name: reference.slice(0, at), tag: reference.slice(at + 1) };
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  if (colon > slash) return { name: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { name: reference, tag: 'latest' };
}

function joinedNamespaces(target: SidekickSpec['target']): Record<string, string> {
  if (!('id' in target)) return { NetworkMode: 'none', PidMode: 'host' };
  return {
    NetworkMode: `container:${target.id}`,
    PidMode: `container:${target.id}`,
    ...(target.joinIpc ? { IpcMode: `container:${target.id}` } : {}),
  };
}

type ProcessFields = Pick<ContainerProcessSpec, 'image' | 'env' | 'user' | 'workingDir' | 'tty' | 'openStdin' | 'labels'> & {
  entrypoint: string[];
  cmd: string[] | null;
};

/** The part of a create request that says what runs and how it is attached; stdin closes with its stream. */
function processConfig(spec: ProcessFields): Record<string, unknown> {
  return {
    Image: spec.image,
    Entrypoint: spec.entrypoint,
    Cmd: spec.cmd,
    Env: spec.env,
    User: spec.user ?? '',
    WorkingDir: spec.workingDir ?? '',
    Tty: spec.tty,
    OpenStdin: spec.openStdin,
    StdinOnce: spec.openStdin,
    AttachStdin: spec.openStdin,
    AttachStdout: true,
    AttachStderr: true,
    Labels: spec.labels,
  };
}

function toTarget(raw: InspectResponse): Target {
  const ipcMode = raw.HostConfig?.IpcMode ?? '';
  return {
    id: raw.Id,
    name: raw.Name.replace(/^\//, ''),
    image: raw.Config?.Image ?? raw.Image,
    imageId: raw.Image,
    status: normalizeStatus(raw.State?.Status),
    hostPid: raw.State?.Pid ?? 0,
    startedAt: raw.State?.StartedAt ?? '',
    restartCount: raw.RestartCount ?? 0,
    exitCode: raw.State?.ExitCode ?? 0,
    user: raw.Config?.User ?? '',
    env: raw.Config?.Env ?? [],
    entrypoint: raw.Config?.Entrypoint ?? [],
    cmd: raw.Config?.Cmd ?? [],
    workingDir: raw.Config?.WorkingDir ?? '',
    labels: raw.Config?.Labels ?? {},
    ipcShareable: ipcMode === 'shareable',
    readOnlyRootfs: raw.HostConfig?.ReadonlyRootfs ?? false,
    autoRemove: raw.HostConfig?.AutoRemove ?? false,
    tty: raw.Config?.Tty ?? false,
    openStdin: raw.Config?.OpenStdin ?? false,
    privileged: raw.HostConfig?.Privileged ?? false,
    created: raw.Created ?? '',
    health: raw.State?.Health?.Status ?? '',
    ...healthDetails(raw),
    oomKilled: raw.State?.OOMKilled ?? false,
    finishedAt: raw.State?.FinishedAt ?? '',
    stateError: raw.State?.Error ?? '',
    restartPolicy: { name: raw.HostConfig?.RestartPolicy?.Name || 'no', maximumRetryCount: raw.HostConfig?.RestartPolicy?.MaximumRetryCount ?? 0 },
    addresses: Object.entries(raw.NetworkSettings?.Networks ?? {}).map(([network, settings]) => ({
      network,
      ipv4: settings?.IPAddress ? `${settings.IPAddress}/${settings.IPPrefixLen ?? 0}` : '',
      ipv6: settings?.GlobalIPv6Address ? `${settings.GlobalIPv6Address}/${settings.GlobalIPv6PrefixLen ?? 0}` : '',
      gateway: settings?.Gateway ?? '',
    })),
    mounts: toMounts(raw),
    networks: Object.keys(raw.NetworkSettings?.Networks ?? {}),
    limits: {
      memoryBytes: raw.HostConfig?.Memory ?? 0,
      nanoCpus: raw.HostConfig?.NanoCpus ?? 0,
      cpuQuotaMicros: raw.HostConfig?.CpuQuota ?? 0,
      cpuPeriodMicros: raw.HostConfig?.CpuPeriod ?? 0,
      pidsLimit: raw.HostConfig?.PidsLimit ?? 0,
    },
    appArmorProfile: raw.AppArmorProfile ?? '',
    capAdd: raw.HostConfig?.CapAdd ?? [],
    capDrop: raw.HostConfig?.CapDrop ?? [],
    securityOpt: raw.HostConfig?.SecurityOpt ?? [],
    namespaceModes: {
      network: raw.HostConfig?.NetworkMode ?? '',
      pid: raw.HostConfig?.PidMode ?? '',
      ipc: ipcMode,
      uts: raw.HostConfig?.UTSMode ?? '',
      cgroup: raw.HostConfig?.CgroupnsMode ?? '',
      user: raw.HostConfig?.UsernsMode ?? '',
    },
  };
}

/** The last health check's output, when the image has a check. */
function healthDetails(raw: InspectResponse): Pick<Target, 'healthLog'> {
  const last = raw.State?.Health?.Log?.at(-1);
  if (!last) return {};
  return { healthLog: { exitCode: last.ExitCode ?? 0, output: (last.Output ?? '').slice(0, 2000), end: last.End ?? '', failingStreak: raw.State?.Health?.FailingStreak ?? 0 } };
}

/** Mounts, plus tmpfs mounts given with --tmpfs, which the engine lists only in HostConfig. */
function toMounts(raw: InspectResponse): TargetMount[] {
  const mounts: TargetMount[] = (raw.Mounts ?? []).map((mount) => ({
    type: mount.Type ?? '',
    source: mount.Type === 'volume' ? (mount.Name ?? mount.Source ?? '') : (mount.Source ?? ''),
    destination: mount.Destination ?? '',
    readOnly: mount.RW === false,
  }));
  for (const [destination, options] of Object.entries(raw.HostConfig?.Tmpfs ?? {})) {
    if (mounts.some((mount) => mount.destination === destination)) continue;
    mounts.push({ type: 'tmpfs', source: 'tmpfs', destination, readOnly: options.split(',').includes('ro') });
  }
  return mounts;
}
