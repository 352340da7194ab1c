/**
 * Docker's namespace modes (HostConfig's NetworkMode, PidMode, IpcMode, UTSMode, CgroupnsMode,
 * UsernsMode) to and from the engine-neutral model of core/namespace-mode.ts. The only place
 * that knows the words "container:<id|name>", "shareable", "none" and "default".
 */
import type { NamespaceMode, NamespaceModes, NetworkMode } from '../../core/namespace-mode.js';
import type { WireNamespaceModes } from './wire-types.js';

const JOINED = 'container:';

/**
 * One of PidMode, IpcMode, UTSMode, CgroupnsMode, UsernsMode. An empty mode is the engine's
 * default, which it did not record as the host's: "private" here (for the user and cgroup
 * namespaces the daemon's configuration decides, and the kernel's view in `inspect` tells).
 * IPC "none" is a private namespace without /dev/shm.
 */
export function namespaceModeOf(value: string | undefined): NamespaceMode {
  const mode = value ?? '';
  if (mode.startsWith(JOINED)) return { kind: 'container', reference: mode.slice(JOINED.length) };
  if (mode === 'host') return { kind: 'host' };
  if (mode === 'shareable') return { kind: 'shareable' };
  return { kind: 'private' };
}

/** NetworkMode: "none" is a namespace of its own without a network; "" is the engine's default network. */
export function networkModeOf(value: string | undefined): NetworkMode {
  const mode = value ?? '';
  if (mode.startsWith(JOINED) || mode === 'host') return namespaceModeOf(mode);
  if (mode === 'none') return { kind: 'private' };
  return { kind: 'named', name: mode === '' ? 'default' : mode };
}

export function namespaceModesOf(hostConfig: WireNamespaceModes | undefined): NamespaceModes {
  return {
    network: networkModeOf(hostConfig?.NetworkMode),
    pid: namespaceModeOf(hostConfig?.PidMode),
    ipc: namespaceModeOf(hostConfig?.IpcMode),
    uts: namespaceModeOf(hostConfig?.UTSMode),
    cgroup: namespaceModeOf(hostConfig?.CgroupnsMode),
    user: namespaceModeOf(hostConfig?.UsernsMode),
  };
}

/** The NetworkMode of a container being created. A pod's network has no meaning for Docker. */
export function dockerNetworkMode(mode: NetworkMode): string {
  switch (mode.kind) {
    case 'named':
      return mode.name;
    case 'container':
      return `${JOINED}${mode.reference}`;
    case 'host':
      return 'host';
    case 'private':
    case 'shareable':
      return 'none';
    case 'pod':
      throw new Error(`a Docker container cannot join the network of pod ${mode.pod}`);
  }
}

/** The modes that make a container join all of another's namespaces that sidekick shares. */
export function joinedNamespaceModes(containerId: string, joinIpc: boolean): Record<string, string> {
  return {
    NetworkMode: `${JOINED}${containerId}`,
    PidMode: `${JOINED}${containerId}`,
    ...(joinIpc ? { IpcMode: `${JOINED}${containerId}` } : {}),
  };
}
