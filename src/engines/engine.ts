import type { ProcessHandle } from '../core/process-handle.js';
import type { ContainerSummary, Target } from '../core/target.js';

/** A container that joins a target's namespaces (Docker) or an ephemeral container (Kubernetes). */
export interface SidekickSpec {
  image: string;
  /** Replaces the image's entrypoint; the command line to run. */
  command: string[];
  env: string[];
  user?: string;
  workingDir?: string;
  tty: boolean;
  openStdin: boolean;
  labels: Record<string, string>;
  name?: string;
  target: { id: string; joinIpc: boolean };
  capAdd: string[];
  privileged: boolean;
  /** The engine deletes the container when its process ends, even if sidekick was killed. */
  autoRemove: boolean;
  /** Initial terminal size, so that the first prompt is drawn at the right width. */
  consoleSize?: { cols: number; rows: number };
}

export interface RunningSidekick {
  id: string;
  process: ProcessHandle;
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

export interface Engine {
  /** Where the engine is, for messages ("unix:///var/run/docker.sock"). */
  readonly endpoint: string;
  ping(): Promise<void>;
  /** Resolves a name or ID prefix; throws TARGET_NOT_FOUND or TARGET_AMBIGUOUS. */
  findContainer(reference: string): Promise<Target>;
  listContainers(options: { all: boolean; labels?: string[] }): Promise<ContainerSummary[]>;
  removeContainer(id: string, options: { force: boolean }): Promise<void>;
  hasImage(reference: string): Promise<boolean>;
  /** Labels of an image, or undefined when it is not present. */
  imageLabels(reference: string): Promise<Record<string, string> | undefined>;
  importImage(spec: ImageImport): Promise<void>;
  pullImage(reference: string, onProgress: (event: ProgressEvent) => void): Promise<void>;
  /** Creates, attaches and starts a sidekick; the returned process is already running. */
  runSidekick(spec: SidekickSpec): Promise<RunningSidekick>;
  close(): void;
}
