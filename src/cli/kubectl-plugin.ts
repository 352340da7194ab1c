/**
 * `kubectl sidekick …`: kubectl runs an executable named `kubectl-sidekick` found on PATH with
 * the words after `sidekick`, its own flags included (-n, --context, --kubeconfig are sidekick's
 * too, with kubectl's meaning for pod targets). Run so, a target is a pod by default: `kubectl
 * sidekick exec web` debugs pod/web (docs/ARCHITECTURE.md, "Kubernetes engine").
 */
import { basename } from 'node:path';

export const KUBECTL_PLUGIN_EXECUTABLE = 'kubectl-sidekick';
/** The hidden global flag that makes bare targets pods; put in front of the command line by the launcher. */
export const PODS_BY_DEFAULT_FLAG = '--pods-by-default';

/** Whether this process was started through a file (or symlink) named kubectl-sidekick. */
export function startedAsKubectlPlugin(scriptPath: string | undefined): boolean {
  return scriptPath !== undefined && basename(scriptPath) === KUBECTL_PLUGIN_EXECUTABLE;
}

/** sidekick's command line for the words kubectl passed on. */
export function kubectlPluginArgs(argv: readonly string[]): string[] {
  return [PODS_BY_DEFAULT_FLAG, ...argv];
}
