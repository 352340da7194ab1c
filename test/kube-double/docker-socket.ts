/**
 * TEST DOUBLE OF THE KUBERNETES CONTROL PLANE ONLY (see README.md): the few Docker Engine
 * API calls the double needs for attach, exec and container creation, as plain HTTP over
 * the engine's Unix socket. Written here rather than imported from src/engines/docker so
 * that the double cannot share a bug with the code it tests.
 *
 * Facts from the Docker Engine API reference (v1.41): attach and exec start are upgraded
 * to a raw stream with `Connection: Upgrade` / `Upgrade: tcp` (answer 101); without a TTY
 * the output is multiplexed in frames of an 8-byte header (stream type 1 stdout or 2
 * stderr, three zero bytes, a big-endian 32-bit length) then the payload; with a TTY it
 * is the raw terminal stream. Closing the write side of the stream closes the process's
 * stdin.
 */
import { request } from 'node:http';
import type { Socket } from 'node:net';

const API = '/v1.41';

function socketPath(): string {
  const host = process.env.DOCKER_HOST;
  if (host === undefined || host === '') return '/var/run/docker.sock';
  if (host.startsWith('unix://')) return host.slice('unix://'.length);
  throw new Error(`the kube-double speaks to a Unix-socket engine only, DOCKER_HOST is ${host}`);
}

export class DockerApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'DockerApiError';
  }
}

/** A JSON request; resolves with the parsed answer (undefined when empty), rejects on a status >= 400. */
export function dockerRequest(method: string, path: string, body?: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        socketPath: socketPath(),
        method,
        path: `${API}${path}`,
        headers: text === undefined ? {} : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const answer = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 400) {
            let message = answer.trim();
            try {
              message = (JSON.parse(answer) as { message?: string }).message ?? message;
            } catch {
              // not JSON: keep the text
            }
            return reject(new DockerApiError(status, `${method} ${path}: ${status} ${message}`));
          }
          resolve(answer.trim() === '' ? undefined : (JSON.parse(answer) as unknown));
        });
      },
    );
    req.on('error', reject);
    req.end(text);
  });
}

/** A request upgraded to the raw stream (attach, exec start). `head` is what came with the 101. */
export function dockerHijack(path: string, body?: object): Promise<{ socket: Socket; head: Buffer }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    const req = request({
      socketPath: socketPath(),
      method: 'POST',
      path: `${API}${path}`,
      headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), Connection: 'Upgrade', Upgrade: 'tcp' },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => reject(new DockerApiError(res.statusCode ?? 0, `POST ${path}: ${res.statusCode} ${Buffer.concat(chunks).toString().trim()}`)));
    });
    req.on('upgrade', (_res, socket: Socket, head: Buffer) => resolve({ socket, head }));
    req.end(text);
  });
}

/** Splits Docker's multiplexed stream (no TTY) into stdout (1) and stderr (2) chunks. */
export class DockerStreamDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): { stream: 1 | 2; data: Buffer }[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const out: { stream: 1 | 2; data: Buffer }[] = [];
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const type = this.pending[0];
      const data = this.pending.subarray(8, 8 + size);
      this.pending = this.pending.subarray(8 + size);
      // Type 0 (stdin) is never written by the engine; anything but stderr is shown as stdout.
      if (data.length > 0) out.push({ stream: type === 2 ? 2 : 1, data });
    }
    return out;
  }
}
