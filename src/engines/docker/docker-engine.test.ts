/**
 * DockerEngine's methods composed end to end (request → transport → answer → mapping or
 * error table) over a recorded transport: the answers are those captured from a real engine
 * in fixtures/ (see wire-mapping.test.ts for how), and refusals as the engine words them.
 */
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DockerEngine } from './docker-engine.js';
import type { DialRequest, Transport, TransportError } from './transport.js';

interface Recorded {
  status: number;
  body: unknown;
}

const fixture = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));

/** Answers each "METHOD /path" from the recording, the way docker-modem hands answers and refusals on; notes what was asked. */
function recordedTransport(recording: Record<string, Recorded>): Transport & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    dial(request: DialRequest, callback: (error: TransportError | null, result: unknown) => void) {
      const key = `${request.method} ${request.path.replace(/\?$/, '')}`;
      asked.push(key);
      const answer = recording[key] ?? { status: 404, body: { message: `page not found` } };
      if (!request.statusCodes[answer.status]) {
        callback(Object.assign(new Error(`(HTTP code ${answer.status})`), { statusCode: answer.status, json: answer.body }), null);
        return;
      }
      const response = Object.assign(new PassThrough(), { statusCode: answer.status, headers: { 'content-type': 'application/json' }, complete: false });
      response.once('end', () => (response.complete = true));
      setImmediate(() => response.end(JSON.stringify(answer.body)));
      callback(null, response);
    },
    close: () => undefined,
  };
}

const endpoint = { url: 'unix:///recorded.sock', source: 'DOCKER_HOST' } as const;
const list = fixture('ps') as Array<{ Id: string }>;
const plainId = (fixture('inspect-plain') as { Id: string }).Id;

describe('DockerEngine over a recorded transport', () => {
  it('finds a container by an ID prefix the engine does not resolve, through the list', async () => {
    const transport = recordedTransport({
      'GET /containers/5fa0/json': { status: 404, body: { message: 'No such container: 5fa0' } },
      'GET /containers/json': { status: 200, body: list },
      [`GET /containers/${plainId}/json`]: { status: 200, body: fixture('inspect-plain') },
    });
    const target = await new DockerEngine(endpoint, transport).findContainer('5fa0');
    expect(target).toMatchObject({ id: plainId, name: 'ds-cap-plain', user: '1000:1000', namespaceModes: { network: { kind: 'named', name: 'default' } } });
    expect(transport.asked).toEqual(['GET /containers/5fa0/json', 'GET /containers/json', `GET /containers/${plainId}/json`]);
  });

  it('says TARGET_NOT_FOUND when neither the engine nor its list knows the name', async () => {
    const transport = recordedTransport({
      'GET /containers/nothing/json': { status: 404, body: { message: 'No such container: nothing' } },
      'GET /containers/json': { status: 200, body: list },
    });
    await expect(new DockerEngine(endpoint, transport).findContainer('nothing')).rejects.toMatchObject({
      code: 'TARGET_NOT_FOUND',
      message: 'no container named or with an ID starting "nothing" on unix:///recorded.sock.',
    });
  });

  it("reads a list's network modes, and takes a removal that lost the race to auto-remove as done", async () => {
    const transport = recordedTransport({
      'GET /containers/json': { status: 200, body: list },
      'DELETE /containers/gone': { status: 404, body: { message: 'No such container: gone' } },
      'POST /containers/abc/exec': { status: 409, body: { message: 'Container abc is paused, unpause the container before exec' } },
    });
    const engine = new DockerEngine(endpoint, transport);
    const joined = (await engine.listContainers({ all: true })).find((entry) => entry.names[0] === 'ds-cap-joined');
    expect(joined?.networkMode).toMatchObject({ kind: 'container' });
    await expect(engine.removeContainer('gone', { force: true })).resolves.toBeUndefined();
    await expect(engine.execInContainer('abc', { command: ['ls'], tty: false, openStdin: false })).rejects.toMatchObject({ code: 'TARGET_NOT_RUNNING' });
  });
});
