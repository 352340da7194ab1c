/**
 * The Engine API's JSON, as far as sidekick reads it (API v1.41, Docker 20.10 and later).
 * Every field is optional or nullable the way engines of different versions send it: the
 * mapping to core types (wire-mapping.ts) gives each a default.
 */

/** The process part of a container's or an image's configuration. */
export interface WireConfig {
  User?: string;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  Tty?: boolean;
  OpenStdin?: boolean;
}

export interface WireHealth {
  Status?: string;
  FailingStreak?: number;
  Log?: Array<{ ExitCode?: number; Output?: string; End?: string }> | null;
}

export interface WireNamespaceModes {
  NetworkMode?: string;
  PidMode?: string;
  IpcMode?: string;
  UTSMode?: string;
  CgroupnsMode?: string;
  UsernsMode?: string;
}

export interface WireHostConfig extends WireNamespaceModes {
  ReadonlyRootfs?: boolean;
  Privileged?: boolean;
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
}

export interface WireEndpointSettings {
  IPAddress?: string;
  IPPrefixLen?: number;
  Gateway?: string;
  GlobalIPv6Address?: string;
  GlobalIPv6PrefixLen?: number;
}

/** GET /containers/{id}/json */
export interface WireContainerInspect {
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
    Health?: WireHealth | null;
  };
  Mounts?: Array<{ Type?: string; Source?: string; Name?: string; Destination?: string; RW?: boolean }> | null;
  Config?: WireConfig & { Image?: string };
  HostConfig?: WireHostConfig;
  NetworkSettings?: { Networks?: Record<string, WireEndpointSettings | null> | null } | null;
}

/** One entry of GET /containers/json */
export interface WireContainerListEntry {
  Id: string;
  Names?: string[];
  Image?: string;
  ImageID?: string;
  State?: string;
  Labels?: Record<string, string> | null;
  HostConfig?: { NetworkMode?: string };
}

/** GET /images/{name}/json */
export interface WireImageInspect {
  Id: string;
  Created?: string;
  RepoTags?: string[] | null;
  Config?: WireConfig | null;
}

/** One entry of GET /images/json */
export interface WireImageListEntry {
  Id: string;
  RepoTags?: string[] | null;
  Labels?: Record<string, string> | null;
}

/** One entry of GET /containers/{id}/changes; Kind 0: modified, 1: added, 2: deleted. */
export interface WireFilesystemChange {
  Path: string;
  Kind: number;
}

/** One line of the progress stream of POST /images/create (a pull or an import). */
export interface WireProgressLine {
  id?: string;
  status?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** POST /containers/{id}/wait */
export interface WireWaitResult {
  StatusCode?: number;
  Error?: { Message?: string } | null;
}

/** GET /exec/{id}/json */
export interface WireExecState {
  ExitCode?: number | null;
  Running?: boolean;
}

/** The answer of every create call (containers, execs, commits). */
export interface WireCreated {
  Id: string;
}
