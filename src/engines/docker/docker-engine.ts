import { MuxDecoder } from '../../core/mux-stream.js';
import { SidekickError } from '../../core/errors.js';
import type { ExitStatus } from '../../core/process-handle.js';
import type { ContainerSummary, Target } from '../../core/target.js';
import { CONTAINER_PATH_STAT_HEADER, decodeContainerPathStat, type ContainerPathStat } from './container-path-stat.js';
import type { ProcessHandle, SignalableProcess } from '../../core/process-handle.js';
import type {
  ArchiveCapability,
  ContainerCapability,
  ContainerExecSpec,
  FilesystemDiffCapability,
  ImageCapability,
  LogCapability,
  SnapshotCapability,
  ContainerSpec,
  Engine,
  EngineCommands,
  FilesystemChange,
  ImageDetails,
  ImageImport,
  ImageSummary,
  ProgressEvent,
  RunningSidekick,
  SidekickSpec,
  TargetLockCapability,
} from '../engine.js';
import { targetLocksByContainer } from '../target-locks-by-container.js';
import { attachedProcess } from './attached-process.js';
import { dockerCommands } from './docker-commands.js';
import { DockerApi } from './docker-api.js';
import { engineFailure, throwUnlessAbsent, type ErrorContext } from './engine-errors.js';
import type { Endpoint } from './endpoint.js';
import { matchContainers } from './match-containers.js';
import { modemTransport } from './modem-transport.js';
import { drainProgress, splitReference } from './pull-progress.js';
import { containerCreateBody, exportHandleBody, labelChanges, sidekickCreateBody } from './request-bodies.js';
import type { Transport } from './transport.js';
import { toContainerSummary, toFilesystemChanges, toImageDetails, toImageSummary, toTarget } from './wire-mapping.js';
import type {
  WireContainerInspect,
  WireContainerListEntry,
  WireCreated,
  WireExecState,
  WireFilesystemChange,
  WireImageInspect,
  WireImageListEntry,
  WireWaitResult,
} from './wire-types.js';

/** Docker has every capability; each is this engine itself, seen through the capability's interface. */
export class DockerEngine implements Engine, ArchiveCapability, ImageCapability, ContainerCapability, SnapshotCapability, FilesystemDiffCapability, LogCapability {
  readonly kind = 'Docker';
  readonly endpoint: string;
  readonly commands: EngineCommands;
  readonly archive: ArchiveCapability = this;
  readonly images: ImageCapability = this;
  readonly containers: ContainerCapability = this;
  readonly snapshots: SnapshotCapability = this;
  readonly filesystemDiff: FilesystemDiffCapability = this;
  readonly logs: LogCapability = this;
  readonly targetLocks: TargetLockCapability = targetLocksByContainer(this, this);
  private readonly api: DockerApi;

  /** `transport`: how requests reach the engine; a test gives a recorded one. */
  constructor(endpoint: Endpoint, transport: Transport = modemTransport(endpoint)) {
    this.api = new DockerApi(endpoint, transport);
    this.endpoint = endpoint.url;
    this.commands = dockerCommands(endpoint);
  }

  async findContainer(reference: string): Promise<Target> {
    if (reference === '' || reference.includes('/') || /\s/.test(reference)) {
      throw new SidekickError('TARGET_NOT_FOUND', `"${reference}" is not a container name or ID.`, {
        hint: 'List containers with `docker ps`.',
      });
    }
    try {
      return toTarget(await this.api.json<WireContainerInspect>('GET', `/containers/${encodeURIComponent(reference)}/json`));
    } catch (error) {
      throwUnlessAbsent('inspect-container', error, this.context());
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
      return toTarget(await this.api.json<WireContainerInspect>('GET', `/containers/${matches[0]!.id}/json`));
    }
    throw new SidekickError('TARGET_NOT_FOUND', `no container named or with an ID starting "${reference}" on ${this.endpoint}.`, {
      hint: 'List containers with `docker ps -a`.',
    });
  }

  async listContainers(options: { all: boolean; labels?: string[] }): Promise<ContainerSummary[]> {
    const filters = options.labels && options.labels.length > 0 ? JSON.stringify({ label: options.labels }) : undefined;
    const list = await this.api.json<WireContainerListEntry[]>('GET', '/containers/json', { query: { all: options.all, filters } });
    return list.map(toContainerSummary);
  }

  async removeContainer(id: string, options: { force: boolean; volumes?: boolean }): Promise<void> {
    try {
      await this.api.json('DELETE', `/containers/${id}`, { query: { force: options.force, v: options.volumes ?? true } });
    } catch (error) {
      throwUnlessAbsent('remove-container', error, this.context({ containerId: id }));
    }
  }

  async stopContainer(id: string, options: { graceSeconds: number }): Promise<void> {
    try {
      await this.api.json('POST', `/containers/${id}/stop`, { query: { t: options.graceSeconds } });
    } catch (error) {
      throwUnlessAbsent('stop-container', error, this.context({ containerId: id }));
    }
  }

  async hasImage(reference: string): Promise<boolean> {
    return (await this.imageLabels(reference)) !== undefined;
  }

  async imageLabels(reference: string): Promise<Record<string, string> | undefined> {
    try {
      const image = await this.api.json<WireImageInspect>('GET', `/images/${encodeURIComponent(reference)}/json`);
      return image.Config?.Labels ?? {};
    } catch (error) {
      throwUnlessAbsent('image-labels', error, this.context({ image: reference }));
      return undefined;
    }
  }

  async importImage(spec: ImageImport): Promise<void> {
    const changes = [...labelChanges(spec.labels), `CMD ${JSON.stringify(spec.cmd)}`];
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
      throw engineFailure('pull-image', error, this.context({ image: reference }));
    }
  }

  async runSidekick(spec: SidekickSpec): Promise<RunningSidekick> {
    const body = sidekickCreateBody(spec);
    const id = await this.create(body, spec, 'create-sidekick');
    try {
      if (spec.preload) await this.putArchive(id, spec.preload.directory, spec.preload.tar());
      const process = await this.attachAndStart(id, spec);
      // Engines before API 1.42 ignore HostConfig.ConsoleSize on Linux: the size follows the start at once.
      if (spec.tty && spec.consoleSize) await this.resize(id, spec.consoleSize.cols, spec.consoleSize.rows);
      return { id, process };
    } catch (error) {
      await this.removeContainer(id, { force: true }).catch(() => undefined);
      throw engineFailure('start-sidekick', error, this.context({ containerId: id }));
    }
  }

  async attachContainer(id: string, options: { tty: boolean; openStdin: boolean; autoRemove: boolean; detachKeys?: string }): Promise<SignalableProcess> {
    const { socket, waitForExit } = await this.attach(id, options);
    return this.attachedContainer(id, socket, waitForExit, options);
  }

  private async attachAndStart(id: string, options: { tty: boolean; openStdin: boolean; autoRemove: boolean; detachKeys?: string }): Promise<SignalableProcess> {
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

  private attachedContainer(id: string, socket: Awaited<ReturnType<DockerApi['hijack']>>, waitForExit: Promise<ExitStatus>, options: { tty: boolean; openStdin: boolean }): SignalableProcess {
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
    let raw: WireImageInspect;
    try {
      raw = await this.api.json<WireImageInspect>('GET', `/images/${encodeURIComponent(reference)}/json`);
    } catch (error) {
      throwUnlessAbsent('inspect-image', error, this.context({ image: reference }));
      return undefined;
    }
    return toImageDetails(raw);
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
    const changes = labelChanges(options.labels);
    try {
      const result = await this.api.json<WireCreated>('POST', '/commit', {
        query: { container: containerId, repo: options.repository, tag: options.tag, pause: options.pause, changes },
        body: {},
      });
      return result.Id;
    } catch (error) {
      throw engineFailure('container-call', error, this.context({ containerId }));
    }
  }

  async removeImage(reference: string, options: { whileContainersUseIt?: boolean } = {}): Promise<void> {
    try {
      // The engine's force overrides only the conflict with stopped and created containers, never a running one.
      await this.api.json('DELETE', `/images/${encodeURIComponent(reference)}`, { query: { force: options.whileContainersUseIt === true, noprune: false } });
    } catch (error) {
      throwUnlessAbsent('remove-image', error, this.context({ image: reference }));
    }
  }

  async tagImage(reference: string, repository: string, tag: string): Promise<void> {
    await this.api.json('POST', `/images/${encodeURIComponent(reference)}/tag`, { query: { repo: repository, tag } });
  }

  async listImages(options: { labels: string[] }): Promise<ImageSummary[]> {
    const filters = JSON.stringify({ label: options.labels });
    const list = await this.api.json<WireImageListEntry[]>('GET', '/images/json', { query: { filters } });
    return list.map(toImageSummary);
  }

  /** POST /containers/create, with the engine's refusals a person can act on said plainly. */
  private async create(body: unknown, spec: { image: string; name?: string }, operation: 'create-sidekick' | 'create-container'): Promise<string> {
    try {
      return (await this.api.json<WireCreated>('POST', '/containers/create', { query: { name: spec.name }, body })).Id;
    } catch (error) {
      throw engineFailure(operation, error, this.context({ image: spec.image }));
    }
  }

  async createContainer(spec: ContainerSpec): Promise<string> {
    const body = containerCreateBody(spec);
    const id = await this.create(body, spec, 'create-container');
    try {
      for (const network of spec.extraNetworks) {
        await this.api.json('POST', `/networks/${encodeURIComponent(network)}/connect`, { body: { Container: id } });
      }
    } catch (error) {
      await this.removeContainer(id, { force: true }).catch(() => undefined);
      throw engineFailure('connect-networks', error, this.context({ containerId: id }));
    }
    return id;
  }

  async startContainer(containerId: string, options: { tty: boolean; openStdin: boolean; autoRemove: boolean; detachKeys?: string }): Promise<SignalableProcess> {
    try {
      return await this.attachAndStart(containerId, options);
    } catch (error) {
      throw engineFailure('start-container', error, this.context({ containerId }));
    }
  }

  private async waitForExit(id: string, condition: 'removed' | 'next-exit'): Promise<ExitStatus> {
    const result = await this.api.json<WireWaitResult>('POST', `/containers/${id}/wait`, { query: { condition } });
    return { code: result.StatusCode ?? 125 };
  }

  private async resize(id: string, cols: number, rows: number): Promise<void> {
    try {
      await this.api.json('POST', `/containers/${id}/resize`, { query: { h: rows, w: cols } });
    } catch (error) {
      throwUnlessAbsent('resize', error, this.context({ containerId: id }));
    }
  }

  private async signal(id: string, signal: string): Promise<void> {
    try {
      await this.api.json('POST', `/containers/${id}/kill`, { query: { signal } });
    } catch (error) {
      throwUnlessAbsent('signal-container', error, this.context({ containerId: id }));
    }
  }

  async execInContainer(containerId: string, spec: ContainerExecSpec): Promise<ProcessHandle> {
    const { Id: execId } = await this.api.json<WireCreated>('POST', `/containers/${containerId}/exec`, {
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
      throw engineFailure('container-call', error, this.context({ containerId }));
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
      // No `signal`: the exec API has no signal call (with a TTY, ^C travels as a byte through the terminal).
    });
  }

  /**
   * The exec API has no wait call: its output can end (a closed stdout) before the process
   * does, so its state is asked for until it says the process is no longer running.
   */
  private async execExitStatus(execId: string): Promise<ExitStatus> {
    for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
      const state = await this.api.json<WireExecState>('GET', `/exec/${execId}/json`);
      if (state.Running !== true) return { code: state.ExitCode ?? 126 };
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  async statPath(containerId: string, path: string): Promise<ContainerPathStat | undefined> {
    try {
      const headers = await this.api.headers('HEAD', `/containers/${containerId}/archive`, { query: { path } });
      return decodeContainerPathStat(headers[CONTAINER_PATH_STAT_HEADER]).stat;
    } catch (error) {
      throwUnlessAbsent('stat-path', error, this.context({ containerId }));
      return undefined;
    }
  }

  async getArchive(containerId: string, path: string): Promise<{ tar: NodeJS.ReadableStream; stat: ContainerPathStat | undefined }> {
    try {
      const response = (await this.api.stream('GET', `/containers/${containerId}/archive`, { query: { path } })) as NodeJS.ReadableStream & {
        headers?: Record<string, string | string[] | undefined>;
      };
      return { tar: response, stat: decodeContainerPathStat(response.headers?.[CONTAINER_PATH_STAT_HEADER]).stat };
    } catch (error) {
      throw engineFailure('container-call', error, this.context({ containerId, path }));
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
      throw engineFailure('container-call', error, this.context({ containerId, path: directory }));
    }
  }

  async filesystemChanges(containerId: string): Promise<FilesystemChange[]> {
    return toFilesystemChanges(await this.api.json<WireFilesystemChange[] | null>('GET', `/containers/${containerId}/changes`));
  }

  async exportImageFilesystem(reference: string, labels: Record<string, string>): Promise<NodeJS.ReadableStream> {
    let id: string;
    try {
      id = (await this.api.json<WireCreated>('POST', '/containers/create', { body: exportHandleBody(reference, labels) })).Id;
    } catch (error) {
      throw engineFailure('export-image', error, this.context({ image: reference }));
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

  private context(details: Omit<ErrorContext, 'endpoint'> = {}): ErrorContext {
    return { endpoint: this.endpoint, ...details };
  }

  close(): void {
    this.api.close();
  }
}
