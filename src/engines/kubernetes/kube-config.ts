/**
 * Which cluster, user and namespace a command talks to, found as kubectl finds them
 * (docs/ARCHITECTURE.md, "Kubernetes engine").
 *
 * Facts (kubernetes/kubernetes staging/src/k8s.io/client-go/tools/clientcmd/loader.go,
 * ClientConfigLoadingRules.Load and its doc comment):
 * - `--kubeconfig FILE` is the only file read when given, and it must exist.
 * - Otherwise `KUBECONFIG` is a list of files (':'-separated on Linux); files that do not
 *   exist are ignored; the first file to set a cluster, user or context of a given name
 *   wins, and entries are never merged field by field; the first file to set
 *   current-context wins.
 * - Otherwise `~/.kube/config`, and inside a pod its service account
 *   (KUBERNETES_SERVICE_HOST, rest.InClusterConfig).
 * - `--context` picks a context by name; `-n/--namespace` overrides the context's
 *   namespace, which is "default" when the context has none.
 * Relative paths in a file (certificate files, …) are relative to that file's directory.
 * client-node's own loadFromDefault merges differently (a duplicate name throws, the last
 * current-context wins), hence this module.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig, type Cluster, type Context, type User } from '@kubernetes/client-node';
import { SidekickError } from '../../core/errors.js';

export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
}

export interface KubeContext {
  config: KubeConfig;
  contextName: string;
  namespace: string;
  /** The API server's URL, for messages. */
  server: string;
}

/** A parsed kubeconfig file, as far as merging needs it. */
export interface KubeconfigPart {
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext: string;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** The files kubectl would read, in order; `explicit` when the user named one. */
export function kubeconfigFiles(flags: KubeFlags, env: NodeJS.ProcessEnv, exists: (path: string) => boolean = existsSync): { files: string[]; explicit: boolean } {
  if (flags.kubeconfig !== undefined) return { files: [flags.kubeconfig], explicit: true };
  const list = env.KUBECONFIG;
  if (list !== undefined && list !== '') return { files: [...new Set(list.split(':').filter((file) => file !== ''))].filter(exists), explicit: false };
  const home = env.HOME;
  if (home === undefined || home === '') return { files: [], explicit: false };
  const file = join(home, '.kube', 'config');
  return { files: exists(file) ? [file] : [], explicit: false };
}

/** kubectl's merge: the first file to name a cluster, user or context wins; the first current-context wins. */
export function mergeKubeconfigs(parts: KubeconfigPart[]): KubeconfigPart {
  const firstByName = <T extends { name: string }>(lists: T[][]): T[] => {
    const seen = new Map<string, T>();
    for (const list of lists) for (const item of list) if (!seen.has(item.name)) seen.set(item.name, item);
    return [...seen.values()];
  };
  return {
    clusters: firstByName(parts.map((part) => part.clusters)),
    users: firstByName(parts.map((part) => part.users)),
    contexts: firstByName(parts.map((part) => part.contexts)),
    currentContext: parts.find((part) => part.currentContext !== '')?.currentContext ?? '',
  };
}

export function loadKubeContext(flags: KubeFlags, env: NodeJS.ProcessEnv): KubeContext {
  const { files, explicit } = kubeconfigFiles(flags, env);
  const config = new KubeConfig();
  if (files.length === 0 && inCluster(env)) {
    config.loadFromCluster();
  } else if (files.length === 0) {
    throw new SidekickError('ENGINE_UNREACHABLE', 'no kubeconfig found (KUBECONFIG is unset or names no file, and there is no ~/.kube/config).', {
      hint: 'Set KUBECONFIG, or pass --kubeconfig FILE, as for kubectl.',
    });
  } else {
    if (explicit && !existsSync(files[0]!)) {
      throw new SidekickError('BAD_USAGE', `the kubeconfig ${files[0]} does not exist.`, { hint: 'Check the path given to --kubeconfig.' });
    }
    const merged = mergeKubeconfigs(files.map((file) => readPart(file)));
    config.loadFromOptions(merged);
  }
  const contextName = flags.context ?? config.getCurrentContext();
  const context = config.getContextObject(contextName);
  if (contextName === '' || context === null) {
    const known = config.getContexts().map((c) => c.name);
    throw new SidekickError('BAD_USAGE', contextName === '' ? 'the kubeconfig sets no current context.' : `the kubeconfig has no context named ${contextName}.`, {
      hint: known.length > 0 ? `Pass --context with one of: ${known.join(', ')}.` : 'Add a context to the kubeconfig (kubectl config set-context).',
    });
  }
  config.setCurrentContext(contextName);
  const cluster = config.getCurrentCluster();
  if (cluster === null) {
    throw new SidekickError('BAD_USAGE', `the context ${contextName} names a cluster the kubeconfig does not have (${context.cluster}).`, {
      hint: 'Fix the kubeconfig (kubectl config view), or pass another --context.',
    });
  }
  return { config, contextName, namespace: flags.namespace ?? (context.namespace || 'default'), server: cluster.server };
}

function readPart(file: string): KubeconfigPart {
  const part = new KubeConfig();
  try {
    part.loadFromFile(file);
  } catch (error) {
    throw new SidekickError('BAD_USAGE', `the kubeconfig ${file} cannot be read: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'Fix or remove that file (kubectl reads the same files).',
      cause: error,
    });
  }
  return { clusters: part.getClusters(), users: part.getUsers(), contexts: part.getContexts(), currentContext: part.getCurrentContext() ?? '' };
}

function inCluster(env: NodeJS.ProcessEnv): boolean {
  return env.KUBERNETES_SERVICE_HOST !== undefined && env.KUBERNETES_SERVICE_PORT !== undefined && existsSync(SERVICE_ACCOUNT_TOKEN);
}
