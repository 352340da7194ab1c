/**
 * The Kubernetes engine as the CLI opens it for a `pod/…` target. It is the entry of a
 * bundle of its own (scripts/build.mjs), loaded with a dynamic import only for pod targets:
 * @kubernetes/client-node is megabytes that a Docker command must not parse at start
 * (docs/ARCHITECTURE.md, "Kubernetes engine").
 */
import type { Engine } from '../engine.js';
import { loadKubeContext, type KubeFlags } from './kube-config.js';
import { KubernetesEngine } from './kubernetes-engine.js';

export function openKubernetesEngine(flags: KubeFlags, env: NodeJS.ProcessEnv): Engine {
  return new KubernetesEngine(loadKubeContext(flags, env));
}
