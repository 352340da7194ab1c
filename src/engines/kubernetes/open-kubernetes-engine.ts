/**
 * The Kubernetes engine as the CLI opens it for a `pod/…` target. It is the entry of a
 * bundle of its own (scripts/build.mjs), loaded with a dynamic import only for pod targets:
 * @kubernetes/client-node is megabytes that a Docker command must not parse at start
 * (docs/ARCHITECTURE.md, "Kubernetes engine").
 */
import type { Engine } from '../engine.js';
import { loadKubeContext, type KubeFlags } from './kube-config.js';
import { DEFAULT_TOOLBOX_IMAGE, KubernetesEngine, type KubernetesEngineOptions } from './kubernetes-engine.js';

/**
 * The toolbox image a cluster pulls for every sidekick, when `exec --image` names none: a
 * cluster without Docker Hub (air-gapped, a mirror) sets it once in the environment.
 */
export const TOOLBOX_IMAGE_VARIABLE = 'SIDEKICK_KUBE_TOOLBOX';

export function openKubernetesEngine(flags: KubeFlags, env: NodeJS.ProcessEnv, options: KubernetesEngineOptions = {}): Engine {
  const image = env[TOOLBOX_IMAGE_VARIABLE];
  return new KubernetesEngine(loadKubeContext(flags, env), image === undefined || image === '' ? DEFAULT_TOOLBOX_IMAGE : image, options);
}
