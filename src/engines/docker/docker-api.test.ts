/**
 * The transport's behaviour when the engine goes away or stops answering, against a local
 * HTTP server on a unix socket that misbehaves the way a killed or wedged dockerd does
 * (docs/RELIABILITY.md, "The engine goes away").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerApi, defaultTimeoutMs } from './docker-api.js';
import type { Endpoint } from './endpoint.js';
import { modemTransport } from './modem-transport.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

describe('DockerApi when the engine misbehaves', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  async function engineAt(handler: Handler): Promise<DockerApi> {
    const dir = mkdtempSync(join(tmpdir(), 'sidekick-api-'));
    const socketPath = join(dir, 'docker.sock');
    const server: Server = createServer(handler);
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    cleanups.push(() => {
      server.closeAllConnections();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const endpoint: Endpoint = { url: `unix://${socketPath}`, source: 'DOCKER_HOST' };
    return new DockerApi(endpoint, modemTransport(endpoint));
  }

  it('fails with ENGINE_GONE when the connection closes after the headers (a /wait cut by a crash)', async () => {
    const api = await engineAt((request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
      response.write('{"Status');
      setTimeout(() => request.socket.destroy(), 20);
    });
    await expect(api.json('POST', '/containers/abc/wait')).rejects.toMatchObject({
      code: 'ENGINE_GONE',
      message: expect.stringMatching(/^the Docker engine at unix:\/\/\S+ went away/),
    });
  });

  it('ends a streamed answer with ENGINE_GONE, not silently, when the connection is cut', async () => {
    const api = await engineAt((request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/x-tar' });
      response.write(Buffer.alloc(1024));
      setTimeout(() => request.socket.destroy(), 20);
    });
    const stream = await api.stream('GET', '/containers/abc/archive');
    const outcome = await new Promise<unknown>((resolve) => {
      stream.on('data', () => undefined);
      stream.on('end', () => resolve('end'));
      stream.on('error', resolve);
    });
    expect(outcome).toMatchObject({ code: 'ENGINE_GONE' });
  });

  it('keeps a cut that comes before anyone reads for the reader, instead of crashing', async () => {
    const api = await engineAt((request, response) => {
      response.writeHead(200, { 'Content-Type': 'application/x-tar' });
      response.write(Buffer.alloc(1024));
      setTimeout(() => request.socket.destroy(), 10);
    });
    const stream = await api.stream('GET', '/containers/abc/archive');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(pipeline(stream, new Writable({ write: (_chunk, _encoding, callback) => callback() }))).rejects.toMatchObject({ code: 'ENGINE_GONE' });
  });

  it('fails with ENGINE_TIMEOUT when a call that should answer at once does not', async () => {
    const api = await engineAt(() => undefined);
    const started = Date.now();
    await expect(api.json('GET', '/containers/abc/json', { timeoutMs: 300 })).rejects.toMatchObject({
      code: 'ENGINE_TIMEOUT',
      message: 'the Docker engine at ' + api.endpoint.url + ' did not answer GET /containers/abc/json within 1 s.',
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('still reads what a healthy engine answers: JSON, JSON null, and nothing', async () => {
    const api = await engineAt((request, response) => {
      if (request.url?.includes('/changes')) response.end('null');
      else if (request.url?.includes('/start')) response.writeHead(204).end();
      else response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"Id":"abc"}');
    });
    expect(await api.json('GET', '/containers/abc/json')).toEqual({ Id: 'abc' });
    expect(await api.json('GET', '/containers/abc/changes')).toBeNull();
    expect(await api.json('POST', '/containers/abc/start')).toBeUndefined();
  });

  it('bounds every call but those that wait on purpose or carry a body of any size', () => {
    expect(defaultTimeoutMs('GET', '/containers/abc/json', {})).toBe(60_000);
    expect(defaultTimeoutMs('POST', '/containers/abc/stop', { query: { t: 3 } })).toBe(63_000);
    expect(defaultTimeoutMs('DELETE', '/containers/abc', {})).toBe(70_000);
    expect(defaultTimeoutMs('POST', '/containers/abc/wait', {})).toBe(0);
    expect(defaultTimeoutMs('POST', '/commit', {})).toBe(0);
    expect(defaultTimeoutMs('GET', '/containers/abc/archive', {})).toBe(0);
    expect(defaultTimeoutMs('HEAD', '/containers/abc/archive', {})).toBe(60_000);
  });
});
