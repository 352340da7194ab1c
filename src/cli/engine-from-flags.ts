import type { Engine } from '../engines/engine.js';
import { DockerEngine } from '../engines/docker/docker-engine.js';
import { resolveEndpoint, type Endpoint, type TlsFlags } from '../engines/docker/endpoint.js';

export interface GlobalFlags extends TlsFlags {
  host?: string;
  context?: string;
  debug?: boolean;
}

export function connectEngine(flags: GlobalFlags): { engine: Engine; endpoint: Endpoint } {
  const endpoint = resolveEndpoint({
    env: process.env,
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(flags.context !== undefined ? { context: flags.context } : {}),
    tlsFlags: { tls: flags.tls, tlsverify: flags.tlsverify, tlscacert: flags.tlscacert, tlscert: flags.tlscert, tlskey: flags.tlskey },
  });
  if (flags.debug) {
    process.stderr.write(`sidekick: engine ${endpoint.url} (from ${endpoint.source}${endpoint.context ? ` "${endpoint.context}"` : ''})\n`);
  }
  return { engine: new DockerEngine(endpoint), endpoint };
}
