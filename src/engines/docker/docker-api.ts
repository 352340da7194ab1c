import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { posix } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { SidekickError } from '../../core/errors.js';
import type { Endpoint, TlsFile } from './endpoint.js';
import { REMOTE_SOCKET_DEFAULT } from './ssh-tunnel.js';
import type { Transport, TransportError } from './transport.js';

export interface RequestOptions {
  query?: Record<string, string | number | boolean | string[] | undefined>;
  body?: unknown;
  /** Status codes that are not an error, besides 200, 201 and 204. */
  ok?: number[];
  /** Fail the call when the whole answer has not come within this long; 0: no bound. Default: defaultTimeoutMs. */
  timeoutMs?: number;
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

/**
 * A promise-shaped, typed face over a callback transport: docker-modem's (modem-transport.ts),
 * or a recorded one in tests. It bounds each call in time, reads answers whole or as guarded
 * streams, and says what a failure of the engine or of the connection means.
 */
export class DockerApi {
  constructor(
    readonly endpoint: Endpoint,
    private readonly transport: Transport,
  ) {}

  async json<T>(method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'HEAD', path: string, options: RequestOptions = {}): Promise<T> {
    // The body is read here rather than by docker-modem, which never settles when the
    // connection closes after the headers (an engine killed in the middle of a /wait).
    const bound = new CallBound(this.endpoint, method, path, options.timeoutMs ?? defaultTimeoutMs(method, path, options));
    try {
      const response = (await bound.race(this.dial(method, path, options, { isStream: true }, bound.signal))) as IncomingMessage;
      const body = await bound.race(readWhole(response, this.endpoint), () => response.destroy());
      // An engine answers JSON or nothing; a page of text or HTML means something else listens there.
      if (body.length === 0) return undefined as T;
      try {
        return JSON.parse(body.toString()) as T;
      } catch {
        throw notAnEngine(this.endpoint, 200, body.toString());
      }
    } finally {
      bound.end();
    }
  }

  /**
   * A request whose response body is read as a stream (image pulls, imports, archives). The
   * time bound covers the wait for the headers; the stream ends with an error, not silently,
   * when the engine goes away in the middle of it.
   */
  async stream(method: 'GET' | 'HEAD' | 'POST' | 'PUT', path: string, options: RequestOptions = {}): Promise<Readable> {
    const bound = new CallBound(this.endpoint, method, path, options.timeoutMs ?? defaultTimeoutMs(method, path, options));
    try {
      return guardStream((await bound.race(this.dial(method, path, options, { isStream: true }, bound.signal))) as IncomingMessage, this.endpoint);
    } finally {
      bound.end();
    }
  }

  /** A request whose answer is in its headers (HEAD), or undefined on 404. */
  async headers(method: 'HEAD' | 'GET', path: string, options: RequestOptions = {}): Promise<Record<string, string | string[] | undefined>> {
    const response = (await this.stream(method, path, options)) as Readable & {
      headers: Record<string, string | string[] | undefined>;
    };
    response.on('error', () => undefined);
    response.resume();
    return response.headers;
  }

  /** An HTTP upgrade to a raw duplex connection (attach with stdin); bounded until the upgrade. */
  async hijack(path: string, options: RequestOptions = {}): Promise<Socket> {
    const bound = new CallBound(this.endpoint, 'POST', path, options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    try {
      return (await bound.race(this.dial('POST', path, options, { isStream: true, hijack: true, ok: [101] }, bound.signal))) as Socket;
    } finally {
      bound.end();
    }
  }

  private dial(
    method: string,
    path: string,
    options: RequestOptions,
    mode: { isStream?: boolean; hijack?: boolean; openStdin?: boolean; ok?: number[] },
    abortSignal: AbortSignal,
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
      const callback = (error: TransportError | null, result: unknown): void => {
        if (!error) resolve(result);
        // ssh says why it refused a channel on its stderr, which may be read just after the
        // closed connection is seen: give it a moment.
        else if (this.transport.tunnel?.() !== undefined && typeof error.statusCode !== 'number') setTimeout(() => reject(this.translate(error)), 100);
        else reject(this.translate(error));
      };
      this.transport.dial(
        {
          path: `${path}?`,
          method,
          options: { _query: query, _body: options.body ?? {} },
          statusCodes,
          isStream: mode.isStream ?? false,
          hijack: mode.hijack ?? false,
          openStdin: mode.openStdin ?? false,
          abortSignal,
          ...(options.file ? { file: options.file } : {}),
          ...(options.headers ? { headers: options.headers } : {}),
          allowEmpty: options.body !== undefined,
        },
        callback,
      );
    });
  }

  private translate(error: TransportError): Error {
    // The transport's own refusals (a TLS file that cannot be read, an SSH login that failed) are said already.
    if (error instanceof SidekickError) return error;
    if (typeof error.statusCode === 'number') {
      const json = error.json as { message?: unknown } | undefined;
      const message =
        json && typeof json === 'object' && typeof json.message === 'string'
          ? json.message
          : Buffer.isBuffer(error.json)
            ? error.json.toString().trim()
            : typeof error.json === 'string'
              ? error.json.trim()
              : error.message;
      if (/^\s*<|<html/i.test(message)) return notAnEngine(this.endpoint, error.statusCode, message);
      if (error.statusCode === 400 && /HTTP request to an HTTPS server/i.test(message)) return wantsTls(this.endpoint);
      return new EngineHttpError(error.statusCode, message);
    }
    const code = error.code ?? '';
    const tlsFailure = tlsProblem(this.endpoint, error);
    if (tlsFailure !== undefined) return tlsFailure;
    // Through ssh, the local socket fails when ssh refused the channel or has gone: say which.
    const tunnel = this.transport.tunnel?.();
    const refusal = tunnel?.refusal();
    if (refusal !== undefined) return sshRefused(this.endpoint, refusal);
    const sshEnded = tunnel?.ended();
    if (sshEnded !== undefined) {
      return new SidekickError('ENGINE_GONE', `the SSH connection to the Docker engine at ${this.endpoint.url} ended (${sshEnded.replace(/\.$/, '')}).`, {
        hint: 'Check the network and the server (ssh by hand); containers sidekick started there are removed by sidekick prune if they are left.',
        cause: error,
      });
    }
    if (['ENOENT', 'ECONNREFUSED', 'EACCES', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT'].includes(code)) {
      return unreachable(this.endpoint, error);
    }
    // A connection that was open and closed under the request: the engine died or restarted.
    if (['ECONNRESET', 'EPIPE'].includes(code)) return wentAway(this.endpoint, error);
    return error;
  }

  close(): void {
    this.transport.close();
  }
}

/** Without a bound of its own, a call that should answer at once fails after a minute. */
const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * How long a call may take before it fails (0: no bound). Calls that wait on purpose (a
 * container's exit) or carry a body of any size (uploads, imports, commits) are bounded
 * only by the connection: an engine that goes away ends them with ENGINE_GONE.
 */
export function defaultTimeoutMs(method: string, path: string, options: RequestOptions): number {
  if (options.file !== undefined) return 0;
  if (/\/(wait|commit|build)$/.test(path) || /^\/images\/(create|load)$/.test(path)) return 0;
  if (method === 'GET' && /\/archive$/.test(path)) return 0;
  if (/\/stop$/.test(path)) return DEFAULT_TIMEOUT_MS + 1_000 * Number(options.query?.t ?? 10);
  // Removing a running container stops it first: the engine's stop grace is 10 s.
  if (method === 'DELETE') return DEFAULT_TIMEOUT_MS + 10_000;
  return DEFAULT_TIMEOUT_MS;
}

/** A call's time bound: aborts the request and fails the call when it runs out. */
class CallBound {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly expired: Promise<never>;
  private onExpire: (() => void) | undefined;

  constructor(endpoint: Endpoint, method: string, path: string, timeoutMs: number) {
    let fail!: (error: Error) => void;
    this.expired = new Promise<never>((_resolve, reject) => {
      fail = reject;
    });
    this.expired.catch(() => undefined);
    if (timeoutMs > 0) {
      this.timer = setTimeout(() => {
        fail(new SidekickError('ENGINE_TIMEOUT', `the Docker engine at ${endpoint.url} did not answer ${method} ${path} within ${Math.ceil(timeoutMs / 1000)} s.`, {
          hint: 'It may be overloaded or stuck (a copy into a container holds its lock); check it with docker info, then try again.',
        }));
        this.onExpire?.();
        this.controller.abort();
      }, timeoutMs);
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  race<T>(work: Promise<T>, onExpire?: () => void): Promise<T> {
    this.onExpire = onExpire;
    return Promise.race([work, this.expired]);
  }

  end(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}

/** The whole body of a response; rejects when the connection closes before its end. */
function readWhole(response: IncomingMessage, endpoint: Endpoint): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.once('end', () => resolve(Buffer.concat(chunks)));
    response.once('error', (error: TransportError) => reject(wentAway(endpoint, error)));
    response.once('close', () => {
      if (!response.complete) reject(wentAway(endpoint, new Error('the connection closed before the end of the answer')));
    });
  });
}

/**
 * Node ends a response cut by a closed connection with "aborted" and no 'end', and emits no
 * error unless someone listens: a reader would wait for ever. The stream handed on ends
 * with ENGINE_GONE instead, and carries the response's status and headers.
 */
function guardStream(response: IncomingMessage, endpoint: Endpoint): Readable {
  const guarded = new PassThrough({ highWaterMark: 1 << 20 });
  Object.assign(guarded, { headers: response.headers, statusCode: response.statusCode });
  // The error is kept on the stream (stream.errored) for whoever reads it: pipeline() and
  // finished() report it even when they come later. Without a listener of its own, a cut
  // before the reader has attached one would crash the process.
  guarded.on('error', () => undefined);
  response.on('error', () => undefined);
  response.once('close', () => {
    if (!response.complete) guarded.destroy(wentAway(endpoint, new Error('the connection closed before the end of the answer')));
  });
  // Destroying what was handed on (a reader that gave up) releases the connection too.
  guarded.once('close', () => {
    if (!response.complete) response.destroy();
  });
  response.pipe(guarded);
  return guarded;
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

/** The engine's connection closed under a call: it crashed, was killed or restarted. */
export function wentAway(endpoint: Endpoint, cause: unknown): SidekickError {
  // Through ssh, the closed connection may be the SSH connection's end as well as the engine's.
  if (endpoint.url.startsWith('ssh://')) {
    return new SidekickError('ENGINE_GONE', `the SSH connection to the Docker engine at ${endpoint.url} ended, or the engine went away (a connection closed in the middle of an answer).`, {
      hint: 'Check the connection (ssh by hand) and the engine (docker info there); containers sidekick started there are removed by sidekick prune if they are left.',
      cause,
    });
  }
  return new SidekickError('ENGINE_GONE', `the Docker engine at ${endpoint.url} went away (its connection closed in the middle of an answer).`, {
    hint: 'Check that it runs (docker info); containers sidekick started there are removed when it comes back, or by sidekick prune.',
    cause,
  });
}

/** Node's codes for an engine certificate that does not chain to the CA it was checked with. */
const UNTRUSTED_CERTIFICATE = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

/** A TLS handshake that failed, said as what is wrong with which certificate; undefined when it is not one. */
function tlsProblem(endpoint: Endpoint, error: TransportError): SidekickError | undefined {
  const code = error.code ?? '';
  const where = `the Docker engine at ${endpoint.url} (${endpoint.source})`;
  const tls = endpoint.tls;
  const fileName = (file: TlsFile | undefined, fallback: string): string => (file ? `${file.path} (from ${file.from})` : fallback);
  const certHint = 'Check DOCKER_CERT_PATH or --tlscacert/--tlscert/--tlskey: the CA must be the one that signed the engine\'s certificate and the client\'s.';
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    return new SidekickError('ENGINE_UNREACHABLE', `cannot reach ${where}: its certificate is not signed by the CA in ${fileName(tls?.ca, 'the system store')}.`, { hint: certHint, cause: error });
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return new SidekickError('ENGINE_UNREACHABLE', `cannot reach ${where}: its certificate ${code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet'}.`, { hint: 'Renew the engine\'s certificate, or check this machine\'s clock.', cause: error });
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new SidekickError('ENGINE_UNREACHABLE', `cannot reach ${where}: its certificate is not made out to ${new URL(endpoint.url).hostname}.`, { hint: 'Use the host name the certificate names, or give the engine a certificate for this one.', cause: error });
  }
  // The engine's answer to a client certificate it does not accept (or to none): a TLS alert.
  const alert = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(\w+)$/.exec(code);
  if (alert) {
    const reason = alert[1]!.toLowerCase().replace(/_/g, ' ');
    const cert = tls?.cert ? `the client certificate ${fileName(tls.cert, '')}` : 'a connection without a client certificate';
    return new SidekickError('ENGINE_UNREACHABLE', `${where} refused ${cert}: ${reason}.`, { hint: certHint, cause: error });
  }
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'EPROTO') {
    return new SidekickError('ENGINE_UNREACHABLE', `cannot reach ${where} with TLS: it does not speak TLS there.`, { hint: 'Drop --tls/--tlsverify (and DOCKER_TLS_VERIFY), or use the engine\'s TLS port (2376).', cause: error });
  }
  return undefined;
}

function wantsTls(endpoint: Endpoint): SidekickError {
  return new SidekickError('ENGINE_UNREACHABLE', `the Docker engine at ${endpoint.url} (${endpoint.source}) speaks TLS only.`, {
    hint: 'Give --tlsverify with DOCKER_CERT_PATH (ca.pem, cert.pem, key.pem) or --tlscacert/--tlscert/--tlskey, as for the docker CLI.',
  });
}

/** The SSH server took the login but would not connect a channel to the engine's socket. */
function sshRefused(endpoint: Endpoint, refusal: string): SidekickError {
  const socket = new URL(endpoint.url).pathname.replace(/^\/$/, '') || REMOTE_SOCKET_DEFAULT;
  return new SidekickError('ENGINE_UNREACHABLE', `cannot reach the Docker engine at ${endpoint.url} (${endpoint.source}): the SSH server could not connect to ${socket} (${refusal}).`, {
    hint: 'Give the socket path after the host (ssh://user@host/run/docker.sock), or check that the server allows forwarding (AllowStreamLocalForwarding).',
  });
}

export function unreachable(endpoint: Endpoint, cause: TransportError): SidekickError {
  const reason = cause.code === 'EACCES' ? 'permission denied' : cause.code === 'ENOENT' ? 'no such socket' : (cause.code ?? cause.message);
  const hint = endpoint.url.startsWith('unix://')
    ? 'Start an engine (sudo dockerd &, or systemctl start docker), or point sidekick at one with --host or DOCKER_HOST.'
    : 'Check that the engine listens there, or pick another with --host, DOCKER_HOST or --context.';
  return new SidekickError('ENGINE_UNREACHABLE', `cannot reach the Docker engine at ${endpoint.url} (${endpoint.source}): ${reason}.`, {
    hint,
    cause,
  });
}
