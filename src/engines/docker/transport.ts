/**
 * What DockerApi sends its requests through: docker-modem's dial over a socket, TCP, TLS or an
 * SSH tunnel (modem-transport.ts), or, in a test, a recorded one. The shape is docker-modem's,
 * so that the real one is a thin wrapper.
 */
import type { Readable } from 'node:stream';

export interface DialRequest {
  /** The API path with a trailing "?" (docker-modem appends the query). */
  path: string;
  method: string;
  options: { _query: Record<string, unknown>; _body: unknown };
  /** Statuses that are an answer, not an error. */
  statusCodes: Record<number, boolean | string>;
  isStream: boolean;
  hijack: boolean;
  openStdin: boolean;
  abortSignal: AbortSignal;
  file?: Readable | NodeJS.ReadableStream;
  headers?: Record<string, string>;
  allowEmpty: boolean;
}

/** A failed request: an engine's refusal has a status and its JSON; a connection's failure has a code. */
export interface TransportError extends Error {
  statusCode?: number;
  json?: unknown;
  code?: string;
}

/** The SSH connection under an ssh:// transport, once it is open. */
export interface TunnelState {
  /** Why the server refused to connect a channel to the engine's socket, once it has. */
  refusal(): string | undefined;
  /** Why the connection ended, once it has. */
  ended(): string | undefined;
}

export interface Transport {
  /**
   * Sends one request. The result is the response (an IncomingMessage, for isStream) or the
   * socket (for hijack); a refusal is an error with statusCode and json.
   */
  dial(request: DialRequest, callback: (error: TransportError | null, result: unknown) => void): void;
  /** The SSH connection, for an ssh:// engine once it is open. */
  tunnel?(): TunnelState | undefined;
  close(): void;
}
