import { SidekickError } from '../core/errors.js';
import type { Engine } from '../engines/engine.js';
import { DockerEngine } from '../engines/docker/docker-engine.js';
import { resolveEndpoint, type Endpoint, type TlsFlags } from '../engines/docker/endpoint.js';

export interface GlobalFlags extends TlsFlags {
  host?: string;
  /** Several when --context was given more than once (only `inspect --all` takes that). */
  context?: string | string[];
  debug?: boolean;
}

/** The contexts named with --context, in order, without repeats. */
export function contextsOf(flags: GlobalFlags): string[] {
  return [...new Set(flags.context === undefined ? [] : [flags.context].flat())];
}

export function connectEngine(flags: GlobalFlags): { engine: Engine; endpoint: Endpoint } {
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
