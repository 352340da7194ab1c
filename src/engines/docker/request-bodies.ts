/**
 * sidekick's engine-neutral specs (engines/engine.ts) turned into the Engine API's create
 * requests. Pure, like wire-mapping.ts, which goes the other way.
 */
import { TINI_GROUP_VARIABLE } from '../../core/copy-script.js';
import type { ContainerProcessSpec, ContainerSpec, SidekickSpec } from '../engine.js';
import { dockerNetworkMode, joinedNamespaceModes } from './namespace-modes.js';

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

function joinedNamespaces(target: SidekickSpec['target']): Record<string, string> {
  if (!('id' in target)) return { NetworkMode: 'none', PidMode: 'host' };
  return joinedNamespaceModes(target.id, target.joinIpc);
}

export function sidekickCreateBody(spec: SidekickSpec): Record<string, unknown> {
  return {
    ...processConfig({ ...spec, entrypoint: spec.command, cmd: null }),
    HostConfig: {
      ...joinedNamespaces(spec.target),
      CapAdd: spec.capAdd,
      Privileged: spec.privileged,
      AutoRemove: spec.autoRemove,
      ...(spec.binds ? { Binds: spec.binds.map((bind) => `${bind.source}:${bind.target}`) } : {}),
    },
  };
}

export function containerCreateBody(spec: ContainerSpec): Record<string, unknown> {
  // tini's own switch for -g; the copy's start script unsets it before the user's command runs.
  const env = spec.initForwardingToGroup ? [...spec.env, `${TINI_GROUP_VARIABLE}=1`] : spec.env;
  return {
    ...processConfig({ ...spec, env }),
    ...(spec.disableHealthcheck ? { Healthcheck: { Test: ['NONE'] } } : {}),
    HostConfig: {
      NetworkMode: dockerNetworkMode(spec.networkMode),
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
}

/**
 * A container made only as a handle on an image's layers (to export them): a command is
 * required by the engine, never run.
 */
export function exportHandleBody(reference: string, labels: Record<string, string>): Record<string, unknown> {
  return { Image: reference, Entrypoint: ['/sidekick-export-never-runs'], Cmd: null, Labels: labels, NetworkDisabled: true };
}

/** Dockerfile instructions for the labels of an import or a commit. */
export function labelChanges(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([key, value]) => `LABEL ${key}=${JSON.stringify(value)}`);
}
