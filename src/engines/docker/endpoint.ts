import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { SidekickError } from '../../core/errors.js';

export type EndpointSource = '--host' | 'DOCKER_HOST' | '--context' | 'DOCKER_CONTEXT' | 'current context' | 'default socket';

export interface Endpoint {
  /** The address as the user would write it: unix:///var/run/docker.sock, tcp://127.0.0.1:2375, ssh://u@h. */
  url: string;
  source: EndpointSource;
  /** The context it came from, when it came from one. */
  context?: string;
  /** TLS material directory, for tcp:// with DOCKER_TLS_VERIFY or a context's TLS store. */
  tlsDir?: string;
}

export interface EndpointInputs {
  host?: string;
  context?: string;
  env: NodeJS.ProcessEnv;
  /** Reads a file, or returns undefined when it does not exist. Injected for tests. */
  readFile?: (path: string) => string | undefined;
  home?: string;
}

export const DEFAULT_SOCKET_URL = 'unix:///var/run/docker.sock';

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Finds the engine the way the docker CLI does: --host, DOCKER_HOST, --context,
 * DOCKER_CONTEXT, the current context of the CLI's config, then the default socket.
 */
export function resolveEndpoint(inputs: EndpointInputs): Endpoint {
  const readFile = inputs.readFile ?? readOptional;
  const configDir = inputs.env.DOCKER_CONFIG ?? join(inputs.home ?? homedir(), '.docker');

  if (inputs.host) return { url: normalizeHostUrl(inputs.host), source: '--host', ...tlsFromEnv(inputs.env) };
  if (inputs.env.DOCKER_HOST) {
    return { url: normalizeHostUrl(inputs.env.DOCKER_HOST), source: 'DOCKER_HOST', ...tlsFromEnv(inputs.env) };
  }
  if (inputs.context) return fromContext(inputs.context, '--context', configDir, readFile);
  if (inputs.env.DOCKER_CONTEXT) return fromContext(inputs.env.DOCKER_CONTEXT, 'DOCKER_CONTEXT', configDir, readFile);

  const config = readFile(join(configDir, 'config.json'));
  if (config !== undefined) {
    let current: unknown;
    try {
      current = (JSON.parse(config) as { currentContext?: unknown }).currentContext;
    } catch {
      current = undefined; // the docker CLI also carries on with a broken config
    }
    if (typeof current === 'string' && current !== '' && current !== 'default') {
      return fromContext(current, 'current context', configDir, readFile);
    }
  }
  return { url: DEFAULT_SOCKET_URL, source: 'default socket' };
}

function tlsFromEnv(env: NodeJS.ProcessEnv): { tlsDir?: string } {
  if (env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0') {
    return { tlsDir: env.DOCKER_CERT_PATH ?? join(env.HOME ?? homedir(), '.docker') };
  }
  return {};
}

function fromContext(
  name: string,
  source: EndpointSource,
  configDir: string,
  readFile: (path: string) => string | undefined,
): Endpoint {
  if (name === 'default') return { url: DEFAULT_SOCKET_URL, source, context: name };
  // The docker CLI stores a context's metadata under the SHA-256 of its name.
  const digest = createHash('sha256').update(name).digest('hex');
  const meta = readFile(join(configDir, 'contexts', 'meta', digest, 'meta.json'));
  if (meta === undefined) {
    throw new SidekickError('ENGINE_UNREACHABLE', `docker context "${name}" (from ${source}) does not exist.`, {
      hint: 'List contexts with `docker context ls`, or pass --host.',
    });
  }
  let host: unknown;
  let skipTls = true;
  try {
    const docker = (JSON.parse(meta) as { Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } } })
      .Endpoints?.docker;
    host = docker?.Host;
    skipTls = docker?.SkipTLSVerify === true;
  } catch {
    host = undefined;
  }
  if (typeof host !== 'string' || host === '') {
    throw new SidekickError('ENGINE_UNREACHABLE', `docker context "${name}" has no docker endpoint.`, {
      hint: 'Inspect it with `docker context inspect`, or pass --host.',
    });
  }
  const tlsStore = join(configDir, 'contexts', 'tls', digest, 'docker');
  const hasTls = !skipTls && readFile(join(tlsStore, 'ca.pem')) !== undefined;
  return { url: normalizeHostUrl(host), source, context: name, ...(hasTls ? { tlsDir: tlsStore } : {}) };
}

/** Accepts what docker accepts: unix:///path, /path, tcp://h:p, h:p, ssh://user@host. */
export function normalizeHostUrl(raw: string): string {
  const value = raw.trim();
  if (value.startsWith('/')) return `unix://${value}`;
  if (/^(unix|tcp|ssh|http|https):\/\//.test(value)) return value;
  if (/^[^/]+:\d+$/.test(value)) return `tcp://${value}`;
  throw new SidekickError('BAD_USAGE', `cannot understand the engine address "${raw}".`, {
    hint: 'Use unix:///var/run/docker.sock, tcp://HOST:PORT or ssh://USER@HOST.',
  });
}
