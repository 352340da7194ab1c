import type { Engine } from '../engines/engine.js';
import { DockerEngine } from '../engines/docker/docker-engine.js';
import { resolveEndpoint, type Endpoint } from '../engines/docker/endpoint.js';

export interface GlobalFlags {
  host?: string;
  context?: string;
  debug?: boolean;
}

export function connectEngine(flags: GlobalFlags): { engine: Engine; endpoint: Endpoint } {
  const endpoint = resolveEndpoint({
    env: process.env,
    ...(flags.host !== undefined ? { host: flags.host } : {}),
    ...(flags.context !== undefined ? { context: flags.context } : {}),
  });
  if (flags.debug) {
    process.stderr.write(`sidekick: engine ${endpoint.url} (from ${endpoint.source}${endpoint.context ? ` "${endpoint.context}"` : ''})\n`);
  }
  return { engine: new DockerEngine(endpoint), endpoint };
}
