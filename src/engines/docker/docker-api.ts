import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import Modem from 'docker-modem';
import { SidekickError } from '../../core/errors.js';
import type { Endpoint } from './endpoint.js';

/** The API version sidekick speaks; Docker 20.10 (Debian 12's docker.io) is the oldest engine it needs. */
export const API_VERSION = 'v1.41';

export interface RequestOptions {
  query?: Record<string, string | number | boolean | string[] | undefined>;
  body?: unknown;
  /** Status codes that are not an error, besides 200, 201 and 204. */
  ok?: number[];
  /** A request body to stream (a tar), instead of JSON. */
  file?: Readable | NodeJS.ReadableStream;
  headers?: Record<string, string>;
}

export class EngineHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly engineMessage: string,
  ) {
    super(`engine answered ${statusCode}: ${engineMessage}`);
    this.name = 'EngineHttpError';
  }
}

interface ModemError extends Error {
  statusCode?: number;
  json?: unknown;
  code?: string;
}

/** A promise-shaped, typed face over docker-modem's callback transport. */
export class DockerApi {
  private readonly modem: Modem;

  constructor(readonly endpoint: Endpoint) {
    this.modem = new Modem(modemOptions(endpoint));
  }

  async json<T>(method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'HEAD', path: string, options: RequestOptions = {}): Promise<T> {
    const result = await this.dial(method, path, options, {});
    // An engine answers JSON or nothing; a page of text or HTML means something else listens there.
    // JSON that docker-modem left unparsed (the engine's `null` for a container with no changes) is still JSON.
    if (Buffer.isBuffer(result) && result.length > 0) {
      try {
        return JSON.parse(result.toString()) as T;
      } catch {
        throw notAnEngine(this.endpoint, 200, result.toString());
      }
    }
    return result as T;
  }

  /** A request whose response body is read as a stream (image pulls, imports). */
  async stream(method: 'GET' | 'POST' | 'PUT', path: string, options: RequestOptions = {}): Promise<Readable> {
    return (await this.dial(method, path, options, { isStream: true })) as Readable;
  }

  /** A request whose answer is in its headers (HEAD), or undefined on 404. */
  async headers(method: 'HEAD' | 'GET', path: string, options: RequestOptions = {}): Promise<Record<string, string | string[] | undefined>> {
    const response = (await this.dial(method, path, options, { isStream: true })) as Readable & {
      headers: Record<string, string | string[] | undefined>;
    };
    response.resume();
    return response.headers;
  }

  /** An HTTP upgrade to a raw duplex connection (attach with stdin). */
  async hijack(path: string, options: RequestOptions = {}): Promise<Socket> {
    return (await this.dial('POST', path, options, { isStream: true, hijack: true, ok: [101] })) as Socket;
  }

  private dial(
    method: string,
    path: string,
    options: RequestOptions,
    mode: { isStream?: boolean; hijack?: boolean; openStdin?: boolean; ok?: number[] },
  ): Promise<unknown> {
    const statusCodes: Record<number, boolean | string> = { 200: true, 201: true, 204: true, 304: true };
    for (const code of [...(options.ok ?? []), ...(mode.ok ?? [])]) statusCodes[code] = true;
    // The engine's router answers a path it would clean ("//", "/../", an encoded "/x") with a
    // redirect that docker-modem cannot follow (it throws outside any callback).
    const decoded = safeDecode(path);
    if (decoded === undefined || posix.normalize(decoded) !== decoded || decoded.endsWith('/')) {
      return Promise.reject(new SidekickError('BAD_USAGE', `a name in the engine request ${JSON.stringify(path)} is empty, ".", ".." or holds a "/" where none may be.`, {
        hint: 'Check the container or image name you gave.',
      }));
    }
    const query: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) query[key] = value;
    return new Promise((resolve, reject) => {
      this.modem.dial(
        {
          path: `${path}?`,
          method,
          options: { _query: query, _body: options.body ?? {} },
          statusCodes,
          isStream: mode.isStream ?? false,
          hijack: mode.hijack ?? false,
          openStdin: mode.openStdin ?? false,
          ...(options.file ? { file: options.file } : {}),
          ...(options.headers ? { headers: options.headers } : {}),
          allowEmpty: options.body !== undefined,
        } as unknown as Modem.DialOptions,
        (error: ModemError | null, result: unknown) => {
          if (error) reject(this.translate(error));
          else resolve(result);
        },
      );
    });
  }

  private translate(error: ModemError): Error {
    if (typeof error.statusCode === 'number') {
      const json = error.json as { message?: unknown } | undefined;
      const message =
        json && typeof json === 'object' && typeof json.message === 'string'
          ? json.message
          : Buffer.isBuffer(error.json)
            ? error.json.toString().trim()
            : error.message;
      if (/^\s*<|<html/i.test(message)) return notAnEngine(this.endpoint, error.statusCode, message);
      return new EngineHttpError(error.statusCode, message);
    }
    const code = error.code ?? '';
    if (['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE'].includes(code)) {
      return unreachable(this.endpoint, error);
    }
    return error;
  }

  close(): void {
    // docker-modem keeps no pooled connections of its own for unix sockets; nothing to release.
  }
}

function safeDecode(path: string): string | undefined {
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

/** Something answered HTTP at the endpoint, but not as a Docker engine would (a web server, a proxy's page). */
function notAnEngine(endpoint: Endpoint, status: number, body: string): SidekickError {
  const html = /^\s*</.test(body) || /<html/i.test(body);
  return new SidekickError('ENGINE_UNREACHABLE', `${endpoint.url} (${endpoint.source}) is not a Docker engine: it answered HTTP ${status} with ${html ? 'an HTML page' : 'text that is not JSON'}.`, {
    hint: 'Point sidekick at the engine with --host, DOCKER_HOST or --context (docker context ls).',
  });
}

export function unreachable(endpoint: Endpoint, cause: ModemError): SidekickError {
  const reason = cause.code === 'EACCES' ? 'permission denied' : cause.code === 'ENOENT' ? 'no such socket' : (cause.code ?? cause.message);
  const hint = endpoint.url.startsWith('unix://')
    ? 'Start an engine (sudo dockerd &, or systemctl start docker), or point sidekick at one with --host or DOCKER_HOST.'
    : 'Check that the engine listens there, or pick another with --host, DOCKER_HOST or --context.';
  return new SidekickError('ENGINE_UNREACHABLE', `cannot reach the Docker engine at ${endpoint.url} (${endpoint.source}): ${reason}.`, {
    hint,
    cause,
  });
}

function modemOptions(endpoint: Endpoint): Modem.ConstructorOptions {
  const url = new URL(endpoint.url);
  // Every field is set, so that docker-modem's own reading of DOCKER_HOST cannot leak in.
  const base = { version: API_VERSION, host: undefined, port: undefined, socketPath: undefined } as Record<string, unknown>;
  switch (url.protocol) {
    case 'unix:':
      return { ...base, socketPath: decodeURIComponent(url.pathname) } as Modem.ConstructorOptions;
    case 'ssh:':
      return {
        ...base,
        protocol: 'ssh',
        host: url.hostname,
        port: url.port || 22,
        username: decodeURIComponent(url.username) || undefined,
        sshOptions: { agent: process.env.SSH_AUTH_SOCK },
      } as Modem.ConstructorOptions;
    default: {
      const tls = endpoint.tlsDir
        ? {
            ca: readFileSync(join(endpoint.tlsDir, 'ca.pem')),
            cert: readFileSync(join(endpoint.tlsDir, 'cert.pem')),
            key: readFileSync(join(endpoint.tlsDir, 'key.pem')),
          }
        : {};
      const secure = endpoint.tlsDir !== undefined || url.protocol === 'https:';
      return {
        ...base,
        ...tls,
        protocol: secure ? 'https' : 'http',
        host: url.hostname,
        port: url.port || (secure ? 2376 : 2375),
      } as Modem.ConstructorOptions;
    }
  }
}
