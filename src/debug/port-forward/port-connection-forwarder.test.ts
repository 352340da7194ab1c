import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Target } from '../../core/target.js';
import type { PortConnection, PortConnectionCapability, PortConnectionEnd } from '../../engines/engine.js';
import { portConnectionForwarder, tunnelOfConnection } from './port-connection-forwarder.js';

function fakeConnection(): PortConnection & { end(how: PortConnectionEnd): void; aborted: boolean } {
  let settle!: (end: PortConnectionEnd) => void;
  const ended = new Promise<PortConnectionEnd>((resolve) => (settle = resolve));
  const connection = {
    input: new PassThrough(),
    output: new PassThrough(),
    ended,
    aborted: false,
    abort() {
      connection.aborted = true;
      settle({ kind: 'failed', message: 'aborted' });
    },
    end: (how: PortConnectionEnd) => settle(how),
  };
  return connection;
}

const target = { id: 'default/web/app', name: 'pod/web/app', startedAt: '2026-01-01T00:00:00Z' } as Target;

describe('portConnectionForwarder', () => {
  it('maps the engine\'s ends to what the bridge reads: an orderly close is status 0, refusals and failures keep their words', async () => {
    for (const [end, expected] of [
      [{ kind: 'closed' }, { kind: 'exited', status: 0, message: '' }],
      [{ kind: 'refused', message: 'connect: connection refused' }, { kind: 'refused', message: 'connect: connection refused' }],
      [{ kind: 'failed', message: 'cut' }, { kind: 'failed', message: 'cut' }],
    ] as const) {
      const connection = fakeConnection();
      const tunnel = tunnelOfConnection(connection);
      connection.end(end);
      expect(await tunnel.ended).toEqual(expected);
    }
  });

  it('opens one connection per call, on the target\'s ID, and ends every live one when disposed', async () => {
    const opened: Array<{ id: string; port: number; connection: ReturnType<typeof fakeConnection> }> = [];
    const capability: PortConnectionCapability = {
      protocols: ['tcp'],
      connectToPort: async (id, port) => {
        const connection = fakeConnection();
        opened.push({ id, port, connection });
        return connection;
      },
    };
    const forwarder = portConnectionForwarder(capability, target);
    await forwarder.connect!(80);
    await forwarder.connect!(443);
    expect(opened.map(({ id, port }) => `${id}:${port}`)).toEqual(['default/web/app:80', 'default/web/app:443']);
    opened[0]!.connection.end({ kind: 'closed' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(forwarder.hasEnded()).toBe(false);
    await forwarder.dispose();
    expect(opened.map(({ connection }) => connection.aborted)).toEqual([false, true]);
    expect(forwarder.hasEnded()).toBe(true);
    await forwarder.ended;
    await expect(forwarder.connect!(80)).rejects.toThrow(/ending/);
  });
});
