import { SidekickError } from '../core/errors.js';
import type { Engine } from '../engines/engine.js';
import { DockerEngine } from '../engines/docker/docker-engine.js';
import { resolveEndpoint, type Endpoint, type TlsFlags } from '../engines/docker/endpoint.js';
import { isPodReference } from '../core/reference.js';
import type { KubeFlags } from '../engines/kubernetes/kube-config.js';
import { nativeHelper } from './native-helper.js';

export interface GlobalFlags extends TlsFlags {
  host?: string;
  /**
   * Docker's context, or the kubeconfig's for a pod target (kubectl's meaning). Several when
   * --context was given more than once (only `inspect --all` takes that).
   */
  context?: string | string[];
  debug?: boolean;
  /** -n: the namespace of a pod target (Kubernetes). */
  namespace?: string;
  /** The kubeconfig file for a pod target (Kubernetes). */
  kubeconfig?: string;
  /** Run as `kubectl sidekick`: a bare target names a pod (kubectl-plugin.ts). */
  podsByDefault?: boolean;
}

/** The contexts named with --context, in order, without repeats. */
export function contextsOf(flags: GlobalFlags): string[] {
  return [...new Set(flags.context === undefined ? [] : [flags.context].flat())];
}

/** Which engine a command's target is on: a `pod/…` target is Kubernetes, anything else Docker. */
export type EngineChoice = { kind: 'docker' } | { kind: 'kubernetes'; flags: KubeFlags; bareNamesArePods?: true };

/**
 * The engine for `target` (docs/ARCHITECTURE.md, "Kubernetes engine"). Pure. Flags of the
 * other engine are refused rather than ignored: `-n` on a Docker target, or `-H` on a pod,
 * would otherwise be silently dropped.
 */
export function chooseEngine(target: string | undefined, flags: GlobalFlags): EngineChoice {
  const contexts = contextsOf(flags);
  if (flags.podsByDefault || (target !== undefined && isPodReference(target))) {
    if (flags.host !== undefined) {
      throw new SidekickError('BAD_USAGE', `-H/--host names a Docker engine; ${target ?? 'the target'} is a Kubernetes pod.`, {
        hint: 'Choose the cluster with --kubeconfig and --context, as for kubectl.',
      });
    }
    if (contexts.length > 1) {
      throw new SidekickError('BAD_USAGE', `--context was given ${contexts.length} times (${contexts.join(', ')}); a pod target takes one kubeconfig context.`, {
        hint: 'Give one --context.',
      });
    }
    return {
      kind: 'kubernetes',
      flags: {
        ...(flags.kubeconfig !== undefined ? { kubeconfig: flags.kubeconfig } : {}),
        ...(contexts[0] !== undefined ? { context: contexts[0] } : {}),
        ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
      },
      ...(flags.podsByDefault ? { bareNamesArePods: true } : {}),
    };
  }
  const podOnly = [flags.namespace !== undefined ? '-n/--namespace' : '', flags.kubeconfig !== undefined ? '--kubeconfig' : ''].filter((flag) => flag !== '');
  if (podOnly.length > 0) {
    throw new SidekickError('BAD_USAGE', `${podOnly.join(' and ')} apply to Kubernetes pods, and ${target === undefined ? 'this command names none' : `${target} is not one`}.`, {
      hint: 'Name a pod as pod/NAME[/CONTAINER], or drop the flag for a Docker container.',
    });
  }
  return { kind: 'docker' };
}

/**
 * The engine of a command's target. The Kubernetes engine and its API client (megabytes)
 * are loaded only for a pod target, from a bundle of their own (scripts/build.mjs), so that
 * Docker commands start as fast as before.
 */
export async function connectEngineFor(target: string | undefined, flags: GlobalFlags): Promise<Engine> {
  const choice = chooseEngine(target, flags);
  if (choice.kind === 'docker') return connectEngine(flags).engine;
  const { openKubernetesEngine } = await import('../engines/kubernetes/open-kubernetes-engine.js');
  const engine = openKubernetesEngine(choice.flags, process.env, { bareNamesArePods: choice.bareNamesArePods === true, ...unpackerOption() });
  if (flags.debug) process.stderr.write(`sidekick: engine ${engine.endpoint}\n`);
  return engine;
}

/**
 * The engine of a command that names no target and lists what sidekick made (sessions,
 * prune): the cluster's when -n or --kubeconfig is given or when run as kubectl sidekick
 * (--context then names the kubeconfig's context), else Docker's. Pure.
 */
export function chooseListingEngine(flags: GlobalFlags, listing: ListingScope = {}): EngineChoice {
  const kube = flags.podsByDefault === true || flags.namespace !== undefined || flags.kubeconfig !== undefined || listing.allNamespaces === true;
  if (!kube) return chooseEngine(undefined, flags);
  if (flags.host !== undefined) {
    throw new SidekickError('BAD_USAGE', `-H/--host names a Docker engine, and ${listing.allNamespaces === true ? '-A/--all-namespaces' : '-n/--kubeconfig'} a cluster: give one or the other.`, {
      hint: 'Drop -H to look at the cluster, or the cluster\'s flags to look at the Docker engine.',
    });
  }
  if (listing.allNamespaces === true && flags.namespace !== undefined) {
    throw new SidekickError('BAD_USAGE', `-A/--all-namespaces looks at every namespace, and -n names one (${flags.namespace}): give one or the other.`, {
      hint: 'Drop -n to look at every namespace, or -A to look at one.',
    });
  }
  const { bareNamesArePods: _ignored, ...choice } = chooseEngine(undefined, { ...flags, podsByDefault: true }) as Extract<EngineChoice, { kind: 'kubernetes' }>;
  return choice;
}

/** The pod archive's unpacker built beside the CLI (dist/sidekick-unpack); SIDEKICK_UNPACK names another one, or "off". */
function unpackerOption(): { unpackerBinary?: string } {
  const path = nativeHelper('sidekick-unpack', 'SIDEKICK_UNPACK');
  return path === undefined ? {} : { unpackerBinary: path };
}

/** What a listing command (sessions, prune) looks at beyond its engine's defaults. */
export interface ListingScope {
  /** -A: every namespace of the cluster (kubectl's -A); names then lead with their namespace. */
  allNamespaces?: boolean;
}

/** The engine chooseListingEngine chose, connected. */
export async function connectListingEngine(flags: GlobalFlags, listing: ListingScope = {}): Promise<{ engine: Engine; kind: EngineChoice['kind'] }> {
  const choice = chooseListingEngine(flags, listing);
  if (choice.kind === 'docker') return { engine: connectEngine(flags).engine, kind: 'docker' };
  const { openKubernetesEngine } = await import('../engines/kubernetes/open-kubernetes-engine.js');
  const engine = openKubernetesEngine(choice.flags, process.env, { allNamespaces: listing.allNamespaces === true });
  if (flags.debug) process.stderr.write(`sidekick: engine ${engine.endpoint}\n`);
  return { engine, kind: 'kubernetes' };
}

/** The Docker engine, for commands that take no pod target (sessions, prune, toolbox, exec --attach). */
export function connectEngine(flags: GlobalFlags): { engine: Engine; endpoint: Endpoint } {
  if (flags.podsByDefault) {
    throw new SidekickError('BAD_USAGE', 'this command works on a Docker engine only, not yet through kubectl sidekick.', {
      hint: 'Run it as sidekick, without kubectl.',
    });
  }
  chooseEngine(undefined, flags);
  const contexts = contextsOf(flags);
  if (contexts.length > 1) {
    throw new SidekickError('BAD_USAGE', `--context was given ${contexts.length} times (${contexts.join(', ')}); only \`inspect --all\` reads several engines.`, {
      hint: 'Give one --context, or use `sidekick inspect --all --context a --context b`.',
    });
  }
  const endpoint = resolveEndpoint({
    env: process.env,
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(contexts[0] !== undefined ? { context: contexts[0] } : {}),
    tlsFlags: { tls: flags.tls, tlsverify: flags.tlsverify, tlscacert: flags.tlscacert, tlscert: flags.tlscert, tlskey: flags.tlskey },
  });
  if (flags.debug) {
    process.stderr.write(`sidekick: engine ${endpoint.url} (from ${endpoint.source}${endpoint.context ? ` "${endpoint.context}"` : ''})\n`);
  }
  return { engine: new DockerEngine(endpoint), endpoint };
}

/** The flags that chose this command's engine, to repeat in a command given as a hint. */
export function sameEngineFlags(global: GlobalFlags): string[] {
  return [
    ...(global.host !== undefined ? ['-H', global.host] : []),
    ...contextsOf(global).flatMap((context) => ['--context', context]),
    ...(global.kubeconfig !== undefined ? ['--kubeconfig', global.kubeconfig] : []),
    ...(global.namespace !== undefined ? ['-n', global.namespace] : []),
  ];
}
