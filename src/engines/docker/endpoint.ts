import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
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
  /** TLS for tcp://, as the docker CLI would set it up from its flags, environment or context. */
  tls?: TlsChoice;
}

export interface TlsChoice {
  /** Check the engine's certificate against `ca` (--tlsverify, DOCKER_TLS_VERIFY); else TLS without a check (--tls). */
  verify: boolean;
  /** Files, each with where its path came from (for errors). */
  ca?: TlsFile;
  cert?: TlsFile;
  key?: TlsFile;
}

export interface TlsFile {
  path: string;
  from: string;
}

/** The docker CLI's TLS flags. */
export interface TlsFlags {
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
}

export interface EndpointInputs {
  host?: string;
  context?: string;
  env: NodeJS.ProcessEnv;
  /** Reads a file, or returns undefined when it does not exist. Injected for tests. */
  readFile?: (path: string) => string | undefined;
  home?: string;
  tlsFlags?: TlsFlags;
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
 * Finds the engine the way the docker CLI does: --host and --context together are refused;
 * --host; an explicit --context (even with DOCKER_HOST set); DOCKER_HOST; DOCKER_CONTEXT; the
 * current context of the CLI's config; the default socket. The "default" context is
 * DOCKER_HOST when set, else the default socket.
 */
export function resolveEndpoint(inputs: EndpointInputs): Endpoint {
  const readFile = inputs.readFile ?? readOptional;
  const configDir = inputs.env.DOCKER_CONFIG ?? join(inputs.home ?? homedir(), '.docker');

  if (inputs.host && inputs.context) {
    throw new SidekickError('BAD_USAGE', 'conflicting options: cannot specify both --host and --context.', {
      hint: 'Give one of them: --host names an engine, --context a docker context that names one.',
    });
  }
  const tlsOf = (): Pick<Endpoint, 'tlsDir' | 'tls'> => ({ ...tlsFromEnv(inputs.env), ...tlsChoice(inputs.tlsFlags ?? {}, inputs.env, configDir, readFile) });
  if (inputs.host) return { url: normalizeHostUrl(inputs.host), source: '--host', ...tlsOf() };
  if (inputs.context) return fromContext(inputs.context, '--context', configDir, readFile, inputs.env);
  if (inputs.env.DOCKER_HOST) {
    return { url: normalizeHostUrl(inputs.env.DOCKER_HOST), source: 'DOCKER_HOST', ...tlsOf() };
  }
  if (inputs.env.DOCKER_CONTEXT) return fromContext(inputs.env.DOCKER_CONTEXT, 'DOCKER_CONTEXT', configDir, readFile, inputs.env);

  const config = readFile(join(configDir, 'config.json'));
  if (config !== undefined) {
    let current: unknown;
    try {
      current = (JSON.parse(config) as { currentContext?: unknown }).currentContext;
    } catch {
      current = undefined; // the docker CLI also carries on with a broken config
    }
    if (typeof current === 'string' && current !== '' && current !== 'default') {
      return fromContext(current, 'current context', configDir, readFile, inputs.env);
    }
  }
  return { url: DEFAULT_SOCKET_URL, source: 'default socket' };
}

/**
 * Every docker context of the CLI's config, as `docker context ls` lists them: "default" and
 * then the others by name. A context whose metadata cannot be read is left out.
 */
export function contextNames(env: NodeJS.ProcessEnv, home: string = homedir()): string[] {
  const metaDir = join(env.DOCKER_CONFIG ?? join(home, '.docker'), 'contexts', 'meta');
  let entries: string[];
  try {
    entries = readdirSync(metaDir);
  } catch {
    entries = [];
  }
  const names = new Set<string>();
  for (const entry of entries) {
    const meta = readOptional(join(metaDir, entry, 'meta.json'));
    try {
      const name = meta === undefined ? undefined : (JSON.parse(meta) as { Name?: unknown }).Name;
      if (typeof name === 'string' && name !== '' && name !== 'default') names.add(name);
    } catch {
      // not a context docker could read either
    }
  }
  return ['default', ...[...names].sort()];
}

function tlsFromEnv(env: NodeJS.ProcessEnv): { tlsDir?: string } {
  if (env.DOCKER_TLS_VERIFY && env.DOCKER_TLS_VERIFY !== '0') {
    return { tlsDir: env.DOCKER_CERT_PATH ?? join(env.HOME ?? homedir(), '.docker') };
  }
  return {};
}

/**
 * TLS as the docker CLI sets it up: on with --tls, --tlsverify, DOCKER_TLS or DOCKER_TLS_VERIFY;
 * the CA, certificate and key from their flags, else ca.pem, cert.pem and key.pem in
 * DOCKER_CERT_PATH (default: the CLI's config directory). A certificate or key that was not
 * named and is not there is left out (the engine may not ask for one); the CA is needed to verify.
 */
export function tlsChoice(flags: TlsFlags, env: NodeJS.ProcessEnv, configDir: string, readFile: (path: string) => string | undefined): { tls?: TlsChoice } {
  const verify = flags.tlsverify === true || (env.DOCKER_TLS_VERIFY !== undefined && env.DOCKER_TLS_VERIFY !== '' && env.DOCKER_TLS_VERIFY !== '0');
  if (!verify && flags.tls !== true && !env.DOCKER_TLS) return {};
  const dir = env.DOCKER_CERT_PATH || configDir;
  const dirName = env.DOCKER_CERT_PATH ? 'DOCKER_CERT_PATH' : 'the docker config directory';
  const pick = (flag: 'tlscacert' | 'tlscert' | 'tlskey', file: string, required: boolean): TlsFile | undefined => {
    const given = flags[flag];
    if (given !== undefined && given !== '') return { path: given, from: `--${flag}` };
    const path = join(dir, file);
    return required || readFile(path) !== undefined ? { path, from: dirName } : undefined;
  };
  const ca = pick('tlscacert', 'ca.pem', verify);
  const cert = pick('tlscert', 'cert.pem', false);
  const key = pick('tlskey', 'key.pem', false);
  return { tls: { verify, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } };
}

function fromContext(
  name: string,
  source: EndpointSource,
  configDir: string,
  readFile: (path: string) => string | undefined,
  env: NodeJS.ProcessEnv,
): Endpoint {
  if (name === 'default') {
    if (env.DOCKER_HOST) return { url: normalizeHostUrl(env.DOCKER_HOST), source, context: name, ...tlsFromEnv(env), ...tlsChoice({}, env, configDir, readFile) };
    return { url: DEFAULT_SOCKET_URL, source, context: name };
  }
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
  const from = `the TLS store of context "${name}"`;
  const stored = (file: string): TlsFile | undefined => (readFile(join(tlsStore, file)) !== undefined ? { path: join(tlsStore, file), from } : undefined);
  const [ca, cert, key] = [stored('ca.pem'), stored('cert.pem'), stored('key.pem')];
  // A context made with skip-tls-verify=true and a client certificate still speaks TLS.
  const tls: TlsChoice | undefined =
    ca !== undefined || cert !== undefined ? { verify: !skipTls && ca !== undefined, ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) } : undefined;
  return { url: normalizeHostUrl(host), source, context: name, ...(hasTls ? { tlsDir: tlsStore } : {}), ...(tls ? { tls } : {}) };
}

/** Accepts what docker accepts: unix:///path, /path, tcp://h:p, h:p, ssh://user@host; names the input when not. */
export function normalizeHostUrl(raw: string): string {
  const value = raw.trim();
  let url: string;
  if (value.startsWith('/')) url = `unix://${value}`;
  else if (/^(unix|tcp|ssh|http|https):\/\//.test(value)) url = value;
  else if (/^[^/]+:[^/]*$/.test(value)) url = `tcp://${value}`;
  else throw badAddress(raw, 'it is not unix://, tcp:// or ssh://');
  const problem = addressProblem(url);
  if (problem !== undefined) throw badAddress(raw, problem);
  return url;
}

function addressProblem(url: string): string | undefined {
  const scheme = url.slice(0, url.indexOf(':'));
  if (scheme === 'unix') return url.length > 'unix://'.length ? undefined : 'the socket path is empty';
  // Host and port are checked by hand: URL() takes "tcp://:0" and reads ":-1" as an error without saying which part.
  const rest = url.slice(scheme.length + 3);
  const authority = rest.split(/[/?#]/, 1)[0]!;
  const at = authority.lastIndexOf('@');
  const user = at < 0 ? undefined : authority.slice(0, at);
  const hostPort = authority.slice(at + 1);
  const bracketed = /^\[[^\]]*\]/.exec(hostPort);
  const host = bracketed ? bracketed[0] : hostPort.split(':', 1)[0]!;
  const portText = hostPort.slice(host.length).replace(/^:/, '');
  if (host === '' || host === '[]') return 'the host name is empty';
  if (!/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)$/.test(host)) return `"${host}" is not a host name`;
  if (scheme === 'ssh' && user === '') return 'the user name before @ is empty';
  if (portText !== '' || hostPort.endsWith(':')) {
    const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) return `the port "${portText}" is not between 1 and 65535`;
  }
  try {
    new URL(url);
  } catch {
    return 'it is not a valid URL';
  }
  return undefined;
}

function badAddress(raw: string, problem: string): SidekickError {
  return new SidekickError('BAD_USAGE', `cannot use the engine address ${JSON.stringify(raw)}: ${problem}.`, {
    hint: 'Use unix:///var/run/docker.sock, tcp://HOST:PORT or ssh://USER@HOST.',
  });
}
