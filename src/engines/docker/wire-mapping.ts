/**
 * The Engine API's answers (wire-types.ts) turned into sidekick's engine-neutral types
 * (core/target.ts, engines/engine.ts). Pure: tested on answers captured from a real engine
 * (fixtures/, wire-mapping.test.ts).
 */
import { normalizeStatus, type ContainerSummary, type Target, type TargetMount } from '../../core/target.js';
import type { FilesystemChange, ImageDetails, ImageSummary } from '../engine.js';
import { namespaceModesOf, networkModeOf } from './namespace-modes.js';
import type {
  WireConfig,
  WireContainerInspect,
  WireContainerListEntry,
  WireFilesystemChange,
  WireImageInspect,
  WireImageListEntry,
} from './wire-types.js';

export function toTarget(raw: WireContainerInspect): Target {
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
    ...processFields(raw.Config),
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
    namespaceModes: namespaceModesOf(raw.HostConfig),
  };
}

/** The last health check's output, when the image has a check. */
function healthDetails(raw: WireContainerInspect): Pick<Target, 'healthLog'> {
  const last = raw.State?.Health?.Log?.at(-1);
  if (!last) return {};
  return { healthLog: { exitCode: last.ExitCode ?? 0, output: (last.Output ?? '').slice(0, 2000), end: last.End ?? '', failingStreak: raw.State?.Health?.FailingStreak ?? 0 } };
}

/** Mounts, plus tmpfs mounts given with --tmpfs, which the engine lists only in HostConfig. */
function toMounts(raw: WireContainerInspect): TargetMount[] {
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

export function toContainerSummary(entry: WireContainerListEntry): ContainerSummary {
  return {
    id: entry.Id,
    names: (entry.Names ?? []).map((name) => name.replace(/^\//, '')),
    image: entry.Image ?? '',
    status: normalizeStatus(entry.State),
    labels: entry.Labels ?? {},
    ...(entry.ImageID !== undefined ? { imageId: entry.ImageID } : {}),
    ...(entry.HostConfig?.NetworkMode !== undefined ? { networkMode: networkModeOf(entry.HostConfig.NetworkMode) } : {}),
  };
}

export function toImageDetails(raw: WireImageInspect): ImageDetails {
  return {
    id: raw.Id,
    repoTags: raw.RepoTags ?? [],
    ...processFields(raw.Config),
    ...(raw.Created ? { created: raw.Created } : {}),
  };
}

export function toImageSummary(image: WireImageListEntry): ImageSummary {
  return {
    id: image.Id,
    repoTags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>'),
    labels: image.Labels ?? {},
  };
}

const CHANGE_KINDS = ['modified', 'added', 'deleted'] as const;

/** An unchanged container answers `null`, which the API layer hands back as an empty body, not an array. */
export function toFilesystemChanges(changes: WireFilesystemChange[] | null | undefined): FilesystemChange[] {
  return (Array.isArray(changes) ? changes : []).map((change) => ({ path: change.Path, kind: CHANGE_KINDS[change.Kind] ?? 'modified' }));
}

/** What runs and as whom, the same fields in a container's and an image's configuration. */
function processFields(config: WireConfig | null | undefined): Pick<ImageDetails, 'user' | 'env' | 'entrypoint' | 'cmd' | 'workingDir' | 'labels'> {
  return {
    user: config?.User ?? '',
    env: config?.Env ?? [],
    entrypoint: config?.Entrypoint ?? [],
    cmd: config?.Cmd ?? [],
    workingDir: config?.WorkingDir ?? '',
    labels: config?.Labels ?? {},
  };
}
