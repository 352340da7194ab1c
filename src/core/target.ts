import type { NamespaceModes, NetworkMode } from './namespace-mode.js';

export type { NamespaceMode, NamespaceModes, NetworkMode } from './namespace-mode.js';

/** What sidekick knows about a container it is asked to debug, in engine-neutral terms. */
export type TargetStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead' | 'unknown';

export interface Target {
  id: string;
  /**
   * The container runtime's own ID, which names the cgroups of the container's processes,
   * when it is not `id` (a pod's container: `containerStatuses[].containerID` without its
   * `containerd://` scheme, docs/ARCHITECTURE.md, "Kubernetes engine"); "" before it started.
   */
  runtimeId?: string;
  name: string;
  image: string;
  imageId: string;
  status: TargetStatus;
  /** PID of the container's first process as the engine's host sees it; 0 when not running. */
  hostPid: number;
  startedAt: string;
  restartCount: number;
  exitCode: number;
  user: string;
  env: string[];
  entrypoint: string[];
  cmd: string[];
  workingDir: string;
  labels: Record<string, string>;
  readOnlyRootfs: boolean;
  /** Whether the engine removes it when its process ends (a sidekick made without --keep). */
  autoRemove?: boolean;
  /** How its first process was started: with a terminal, and with stdin open (to attach to it again). */
  tty?: boolean;
  openStdin?: boolean;
  privileged: boolean;
  /** When the engine created the container (RFC 3339). */
  created: string;
  /** The health check's verdict ("healthy", "unhealthy", "starting"); "" when the image has none. */
  health: string;
  /** The last health check, when the image has one. */
  healthLog?: { exitCode: number; output: string; end: string; failingStreak: number };
  /** Whether the kernel's OOM killer ended its last run. */
  oomKilled?: boolean;
  /** When its last run ended (RFC 3339; the engine's zero time when it never did). */
  finishedAt?: string;
  /** The engine's error for its last start, if any. */
  stateError?: string;
  /** "no", "always", "unless-stopped", "on-failure" (with its retry limit). */
  restartPolicy?: { name: string; maximumRetryCount: number };
  /** Its address on each network it is connected to. */
  addresses?: Array<{ network: string; ipv4: string; ipv6: string; gateway: string }>;
  /** Mounts as the engine configured them (volumes, binds, tmpfs). */
  mounts: TargetMount[];
  /** Names of the networks it is connected to (the engine keeps them while it is stopped). */
  networks?: string[];
  limits: EngineLimits;
  /** The AppArmor profile the engine asked for; "" when none (or the engine's default). */
  appArmorProfile: string;
  capAdd: string[];
  capDrop: string[];
  securityOpt: string[];
  /** How each namespace was set up (core/namespace-mode.ts). */
  namespaceModes: NamespaceModes;
}

export interface TargetMount {
  type: string;
  source: string;
  destination: string;
  readOnly: boolean;
}

/** Limits the engine set; 0 means none. */
export interface EngineLimits {
  memoryBytes: number;
  /** CPUs in billionths (docker --cpus). */
  nanoCpus: number;
  cpuQuotaMicros: number;
  cpuPeriodMicros: number;
  /** 0 or negative: unlimited. */
  pidsLimit: number;
}

export interface ContainerSummary {
  id: string;
  names: string[];
  image: string;
  status: TargetStatus;
  labels: Record<string, string>;
  /** The ID of the image it was created from, when the engine's list says it. */
  imageId?: string;
  /** The network mode when the engine's list says it; undefined when unknown. */
  networkMode?: NetworkMode;
  /**
   * The engine knows its labels were set on this object itself, none inherited from its image
   * (a pod's ephemeral container carries them in its own spec).
   */
  labelsSetOnObject?: boolean;
  /**
   * Set when the engine cannot remove it, only end its process: what stays, in the engine's
   * words (a pod's ephemeral container stays in the pod's spec).
   */
  unremovable?: string;
}

export function normalizeStatus(value: string | undefined): TargetStatus {
  switch (value) {
    case 'created':
    case 'running':
    case 'paused':
    case 'restarting':
    case 'removing':
    case 'exited':
    case 'dead':
      return value;
    default:
      return 'unknown';
  }
}
