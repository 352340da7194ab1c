/** What sidekick knows about a container it is asked to debug, in engine-neutral terms. */
export type TargetStatus = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead' | 'unknown';

export interface Target {
  id: string;
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
  /** Whether other containers may join its IPC namespace (Docker's `shareable` mode). */
  ipcShareable: boolean;
  readOnlyRootfs: boolean;
  privileged: boolean;
}

export interface ContainerSummary {
  id: string;
  names: string[];
  image: string;
  status: TargetStatus;
  labels: Record<string, string>;
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
