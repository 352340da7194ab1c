import type { ContainerPathStat } from '../core/path-stat.js';
import type { ProcessHandle, SignalableProcess } from '../core/process-handle.js';
import type { Readable, Writable } from 'node:stream';
import type { Protocol } from '../core/port-spec.js';
import type { ContainerSummary, NetworkMode, Target } from '../core/target.js';

/** What every container sidekick makes has: what runs, as whom, how it is attached, its labels. */
export interface ContainerProcessSpec {
  image: string;
  env: string[];
  user?: string;
  workingDir?: string;
  tty: boolean;
  openStdin: boolean;
  labels: Record<string, string>;
  name?: string;
  capAdd: string[];
  privileged: boolean;
  /** The engine deletes the container when its process ends, even if sidekick was killed. */
  autoRemove: boolean;
  /** docker's detach keys for the attached stdin (the engine's default is ctrl-p,ctrl-q). */
  detachKeys?: string;
}

/** A container that joins a target's namespaces (Docker) or an ephemeral container (Kubernetes). */
export interface SidekickSpec extends ContainerProcessSpec {
  /** Replaces the image's entrypoint; the command line to run. */
  command: string[];
  /**
   * Whose namespaces to join: a target's, or (`hostPid`) the engine host's PID namespace with
   * no network, to read many containers' /proc at once (`inspect --all`).
   */
  target: { id: string; joinIpc: boolean } | { hostPid: true };
  /** Initial terminal size, so that the first prompt is drawn at the right width. */
  consoleSize?: { cols: number; rows: number };
  /**
   * Files put into the sidekick's own filesystem before it starts (never the target's): e.g.
   * the init a toolbox image lacks. `tar` is called once, for a fresh stream.
   */
  preload?: { directory: string; tar: () => NodeJS.ReadableStream };
  /**
   * Directories of the engine's host shown in the sidekick (never the target): only for an
   * engine on this machine, where the client's paths are the engine's.
   */
  binds?: Array<{ source: string; target: string }>;
}

export interface RunningSidekick {
  id: string;
  process: SignalableProcess;
  /** How a user names it to this engine (exec --attach), when not by the name it was given. */
  reference?: string;
}

export interface ImageImport {
  /** A tar of the root filesystem. */
  rootfs: NodeJS.ReadableStream;
  repository: string;
  tag: string;
  labels: Record<string, string>;
  cmd: string[];
}

export interface ProgressEvent {
  id?: string;
  status: string;
  progress?: string;
}

/** A process started inside a running container (docker exec), in its own namespaces and root. */
export interface ContainerExecSpec {
  command: string[];
  env?: string[];
  user?: string;
  workingDir?: string;
  tty: boolean;
  openStdin: boolean;
}

/** One entry of the engine's filesystem diff of a container against its image. */
export interface FilesystemChange {
  path: string;
  kind: 'modified' | 'added' | 'deleted';
}

/** An image's own configuration, in engine-neutral terms. */
export interface ImageDetails {
  id: string;
  repoTags: string[];
  user: string;
  env: string[];
  entrypoint: string[];
  cmd: string[];
  workingDir: string;
  labels: Record<string, string>;
  /** When the image was built (RFC 3339), when the engine says. */
  created?: string;
}

export interface ImageSummary {
  id: string;
  repoTags: string[];
  labels: Record<string, string>;
}

/** A mount of a container being created: an existing volume, a host path, or a fresh tmpfs. */
export interface MountSpec {
  type: 'volume' | 'bind' | 'tmpfs';
  /** Volume name or host path; empty for tmpfs. */
  source: string;
  destination: string;
  readOnly: boolean;
}

/**
 * A container created but not started, so that files can be put into it first (a copy of
 * a target for debugging). Unlike a sidekick it joins no other container's namespaces
 * unless its `networkMode` is another container's.
 */
export interface ContainerSpec extends ContainerProcessSpec {
  entrypoint: string[];
  cmd: string[];
  mounts: MountSpec[];
  /** A network of the engine's ("default", "bridge", a user-defined one), the host's, none (private), or another container's. */
  networkMode: NetworkMode;
  /** Further networks to connect before start (no aliases: the copy must not take the original's traffic). */
  extraNetworks: string[];
  /** Turns off a health check the image declares: it would run the original's probe in a copy that runs nothing. */
  disableHealthcheck: boolean;
  /**
   * The engine's own init (tini) as first process, forwarding signals to the whole process
   * group of the command (so that a lease renewal reaches the copy's guard, docs/RELIABILITY.md).
   */
  initForwardingToGroup?: boolean;
}

/**
 * An engine is a small core that every engine has (find, list, run a sidekick, exec, stop,
 * remove) plus optional capabilities, each a small interface grouped by what a feature needs
 * (docs/ARCHITECTURE.md, "The engine: core and capabilities"). A feature asks for a capability
 * through `requireCapability` (capabilities.ts), which says plainly what the engine cannot do.
 */
export interface Engine {
  /** What engine this is, for messages ("Docker"). */
  readonly kind: string;
  /** Where the engine is, for messages ("unix:///var/run/docker.sock"). */
  readonly endpoint: string;
  /** The command lines a person types to do things on this engine by hand, for hints. */
  readonly commands: EngineCommands;
  /** Resolves a name or ID prefix; throws TARGET_NOT_FOUND or TARGET_AMBIGUOUS. */
  findContainer(reference: string): Promise<Target>;
  listContainers(options: { all: boolean; labels?: string[] }): Promise<ContainerSummary[]>;
  /** `volumes` (default true): also remove its anonymous volumes. A container that is already gone is fine. */
  removeContainer(id: string, options: { force: boolean; volumes?: boolean }): Promise<void>;
  /**
   * Asks a container's first process to end (SIGTERM), and kills it after `graceSeconds`;
   * settles once it has stopped. A container that is already gone or stopped is fine.
   */
  stopContainer(id: string, options: { graceSeconds: number }): Promise<void>;
  /** Creates, attaches and starts a sidekick; the returned process is already running. */
  runSidekick(spec: SidekickSpec): Promise<RunningSidekick>;
  /** Starts a process inside the container itself (its root, its namespaces); it may have no `signal`. */
  execInContainer(containerId: string, spec: ContainerExecSpec): Promise<ProcessHandle>;
  close(): void;
  /**
   * Set by an engine whose nodes pull images themselves and keep none sidekick can see or
   * build (a cluster): the toolbox image it runs when none is named (`exec --image`).
   */
  readonly pulledToolboxImage?: string;

  readonly archive?: ArchiveCapability;
  readonly images?: ImageCapability;
  readonly containers?: ContainerCapability;
  readonly snapshots?: SnapshotCapability;
  readonly filesystemDiff?: FilesystemDiffCapability;
  readonly filesystemWalk?: FilesystemWalkCapability;
  readonly rootScripts?: RootScriptCapability;
  readonly logs?: LogCapability;
  readonly definitionCopies?: DefinitionCopyCapability;
  readonly portConnections?: PortConnectionCapability;
  readonly sessionAttach?: SessionAttachCapability;
  readonly targetLocks?: TargetLockCapability;
}

/**
 * Back into a sidekick session left running with -d, on an engine without containers of
 * sidekick's own to attach to (a pod's ephemeral container: exec --attach). Leaving it again
 * (the process's `detach`) leaves it running, its input open for the next client.
 */
export interface SessionAttachCapability {
  attachSession(sidekickId: string, options: { tty: boolean; openStdin: boolean }): Promise<SignalableProcess>;
}

/**
 * One lock per target, held by the engine outside the target and created exclusively (the
 * injection lock: one inject or eject at a time). Docker: a container never started, named after
 * the target (target-locks-by-container.ts); Kubernetes: a coordination.k8s.io Lease in the pod's
 * namespace (lease-locks.ts). `record` is what the holder says of itself (process, purpose, time).
 */
export interface TargetLockCapability {
  /** Creates the target's lock holding `record`; its ID, or undefined when the target has one already. */
  createTargetLock(target: Target, record: Record<string, string>): Promise<string | undefined>;
  /** The target's lock and its record; undefined when it has none. */
  findTargetLock(target: Target): Promise<{ id: string; record: Record<string, string> } | undefined>;
  /** Removes the lock of that ID; one already gone is fine. */
  removeTargetLock(target: Target, id: string): Promise<void>;
  /** What a person types to remove the target's lock by hand (its holder was killed elsewhere). */
  removeTargetLockCommand(target: Target): string | undefined;
}

/** Files of a container read and written as tar streams, resolved by the engine within the container's root. */
export interface ArchiveCapability {
  /**
   * Set when a command's first use of the archive starts a sidekick in the target that leaves a
   * trace of its own (a pod's ephemeral container, whose entry stays in the pod's spec): a
   * feature that can do without the archive then does.
   */
  readonly startsSidekick?: boolean;
  /**
   * Metadata of a path inside the container, resolved by the engine within the container's
   * root (never on the host); undefined when nothing is there.
   */
  statPath(containerId: string, path: string): Promise<ContainerPathStat | undefined>;
  /** A tar of a path inside the container, read by the engine within the container's root. */
  getArchive(containerId: string, path: string): Promise<{ tar: NodeJS.ReadableStream; stat: ContainerPathStat | undefined }>;
  /** Unpacks a tar into a directory of the container, resolved within its root by the engine. */
  putArchive(containerId: string, directory: string, tar: NodeJS.ReadableStream, options?: { noOverwriteDirNonDir?: boolean }): Promise<void>;
}

/** The engine's own image store: toolbox images, snapshots, the origin of a copy. */
export interface ImageCapability {
  hasImage(reference: string): Promise<boolean>;
  /** Labels of an image, or undefined when it is not present. */
  imageLabels(reference: string): Promise<Record<string, string> | undefined>;
  /** The image's configuration, or undefined when it is not on the engine. */
  inspectImage(reference: string): Promise<ImageDetails | undefined>;
  pullImage(reference: string, onProgress: (event: ProgressEvent) => void): Promise<void>;
  importImage(spec: ImageImport): Promise<void>;
  /** Gives an image one more name (repository:tag). */
  tagImage(reference: string, repository: string, tag: string): Promise<void>;
  /**
   * Removes an image by reference; one that is already gone is fine.
   * `whileContainersUseIt`: remove it even though created or stopped containers use it; they keep
   * its layers until they are removed themselves, then nothing of it is left (docs/RELIABILITY.md).
   */
  removeImage(reference: string, options?: { whileContainersUseIt?: boolean }): Promise<void>;
  /** Images carrying all of the given labels (`key` or `key=value`). */
  listImages(options: { labels: string[] }): Promise<ImageSummary[]>;
  /**
   * A tar of a local image's whole filesystem. The engine needs a container for that: one is
   * created (never started, carrying `labels`) and removed once the stream ends or fails.
   * IMAGE_UNAVAILABLE when the image is not on the engine.
   */
  exportImageFilesystem(reference: string, labels: Record<string, string>): Promise<NodeJS.ReadableStream>;
}

/** Containers of sidekick's own beyond sidekicks: created first and started later, attached again. */
export interface ContainerCapability {
  /** Creates a container without starting it; returns its ID. */
  createContainer(spec: ContainerSpec): Promise<string>;
  /** Attaches to a created container and starts it; the returned process is already running. */
  startContainer(containerId: string, options: { tty: boolean; openStdin: boolean; autoRemove: boolean; detachKeys?: string }): Promise<SignalableProcess>;
  /**
   * Attaches to a running container's first process again (a detached sidekick); its output
   * from now on, and its stdin when it was started with stdin open.
   */
  attachContainer(containerId: string, options: { tty: boolean; openStdin: boolean; autoRemove: boolean; detachKeys?: string }): Promise<SignalableProcess>;
}

/** A container's filesystem frozen into an image (the start of a debug copy). */
export interface SnapshotCapability {
  /**
   * Snapshots a container's filesystem into a new image (`docker commit`). `pause: false`
   * leaves a running container running; returns the image ID.
   */
  commitContainer(containerId: string, options: { repository: string; tag: string; labels: Record<string, string>; pause: boolean }): Promise<string>;
}

/** What changed in a container's filesystem against its image. */
export interface FilesystemDiffCapability {
  /** What changed in the container's filesystem against its image (`docker diff`). */
  filesystemChanges(containerId: string): Promise<FilesystemChange[]>;
}

/**
 * Every path of a container's root filesystem, for an engine that cannot say what changed
 * against the image (a pod): two walks compared stand in for a diff (docs/ARCHITECTURE.md,
 * "Kubernetes engine", "`inject --os` and its eject").
 */
export interface FilesystemWalkCapability {
  /** Every path below "/" on the root's own filesystem, mount points included but not entered; "/" itself left out. */
  rootFilesystemPaths(containerId: string): Promise<string[]>;
}

/**
 * A busybox sh program run with a container's root as its own, by a process of the engine's
 * that holds the engine's default capabilities (not those the target dropped), on an engine
 * that has such a process at hand anyway (a pod's archive sidekick): what would otherwise be a
 * sidekick of its own, and on a pod an ephemeral container's entry more (docs/ARCHITECTURE.md,
 * "The engine: core and capabilities").
 * The toolbox's applets are the program's commands; `$@` are `args`; `input` is its stdin.
 */
export interface RootScriptCapability {
  runInRoot(containerId: string, request: { script: string; args: string[]; input: string }): Promise<{ code: number; output: string; errors: string }>;
}

/** What a container's processes wrote, as the engine logged it. */
export interface LogCapability {
  /** The last `lines` lines a container wrote (stdout and stderr, as the engine logged them). */
  containerLogTail(containerId: string, lines: number): Promise<string>;
}

/**
 * A debug copy the engine makes from the target's definition (a pod's spec) instead of a
 * snapshot of its files: the copy starts from the target's image, and the engine puts the
 * toolbox in before the copy's command starts (docs/ARCHITECTURE.md, "Debug copies").
 */
export interface DefinitionCopyCapability {
  /** Makes the copy, waits for it to run and attaches to its first process. */
  startDefinitionCopy(spec: DefinitionCopySpec): Promise<RunningCopy>;
  /** Removes a copy this capability made (by its RunningCopy ID); one already gone is fine. */
  removeDefinitionCopy(id: string): Promise<void>;
}

export interface DefinitionCopySpec {
  /** The container copied, by this engine's ID. */
  targetId: string;
  /** The copy's own name, when the user chose one. */
  name?: string;
  /** Where the toolbox is, in the copy (its private prefix). */
  toolsDirectory: string;
  /** Files put under toolsDirectory before the copy starts (relative paths). */
  files: { path: string; content: string; executable: boolean }[];
  /** The copy's first process, run by the toolbox's shell (the image may have none). */
  command: string[];
  /** Added to the original's environment (NAME=value). */
  env: string[];
  /** UID[:GID]; the original's own user when absent. */
  user?: string;
  workingDir?: string;
  tty: boolean;
  openStdin: boolean;
  /** Mount the original's volumes writable (read-only otherwise). */
  rwVolumes: boolean;
  privileged: boolean;
  capAdd: string[];
  labels: Record<string, string>;
  /** Made with --keep: it outlives its session on purpose, and `prune` leaves it without --all. */
  keep: boolean;
}

export interface RunningCopy {
  /** The copy's container, by this engine's ID. */
  id: string;
  process: SignalableProcess;
  /** How the copy differs from the original, in words for the user. */
  notices: string[];
}

/**
 * Connections to a port in a container's network namespace opened by the engine itself (the
 * Kubernetes API's port-forward), with nothing added to the target: port-forward uses them
 * instead of a forwarder container (docs/ARCHITECTURE.md, "port-forward").
 */
export interface PortConnectionCapability {
  /** The protocols the engine carries (the Kubernetes API's port-forward: TCP only). */
  readonly protocols: readonly Protocol[];
  /**
   * One TCP connection to 127.0.0.1:PORT in the container's network namespace (so that a port
   * bound to the target's loopback is reached). Rejects when the engine cannot set it up; a
   * refusal by the target is an `ended` of kind `refused`.
   */
  connectToPort(containerId: string, port: number): Promise<PortConnection>;
  /**
   * The container whose network namespace `reference` names, where that needs less than
   * `findContainer`: a pod's containers share one, so `pod/NAME` of a pod of several names it
   * (as kubectl port-forward takes it) where a debug session would refuse to guess.
   */
  findNetworkOwner?(reference: string): Promise<Target>;
}

/** One connection opened by a `PortConnectionCapability`. */
export interface PortConnection {
  /** What the client sends; ending it says the client has no more to send. */
  input: Writable;
  /** What the target's port sends; ends when the connection has ended. */
  output: Readable;
  /** Settles once the connection has ended and `output` has ended; never rejects. */
  ended: Promise<PortConnectionEnd>;
  /** Ends the connection now (its client is gone). */
  abort(): void;
}

export type PortConnectionEnd =
  /** The target's side ended the connection in order. */
  | { kind: 'closed' }
  /** Nothing listens on the port: the engine's own words. */
  | { kind: 'refused'; message: string }
  /** Cut, or failed after it was made: the engine's own words. */
  | { kind: 'failed'; message: string };

/** The names of the optional capabilities, as `requireCapability` takes them. */
export type CapabilityName =
  | 'archive'
  | 'images'
  | 'containers'
  | 'snapshots'
  | 'filesystemDiff'
  | 'filesystemWalk'
  | 'rootScripts'
  | 'logs'
  | 'definitionCopies'
  | 'portConnections'
  | 'sessionAttach'
  | 'targetLocks';

/**
 * How a person does a thing on this engine by hand: the command line to type (aimed at the same
 * engine sidekick talks to), or undefined when the engine has no such command (a pod's
 * container cannot be started again). Hints above the engine take their words from here.
 */
export interface EngineCommands {
  startContainer(container: string): string | undefined;
  unpauseContainer(container: string): string | undefined;
  stopContainer(container: string): string | undefined;
  /** `volumes`: its anonymous volumes too. */
  removeContainer(container: string, options: { force: boolean; volumes: boolean }): string | undefined;
  /** Stops it gracefully (its processes get to end), then removes it. */
  stopAndRemoveContainer(container: string): string | undefined;
  /** Removes a debug copy kept with --keep (by its ID), whatever it is made of on this engine. */
  removeCopy(id: string): string | undefined;
  attachContainer(container: string): string | undefined;
  followLogs(container: string): string | undefined;
  /** Runs a program in the container itself, on a terminal. */
  execInteractive(container: string, command: string): string | undefined;
  /** Shows one container (by ID), whatever its state. */
  showContainer(id: string): string | undefined;
  /** Lists every container, running or not. */
  listContainers(): string | undefined;
  listImages(): string | undefined;
  pullImage(reference: string): string | undefined;
  removeImage(reference: string): string | undefined;
}
