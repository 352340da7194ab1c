import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { attachedProcess } from './attached-process.js';

/** Stands in for the hijacked connection: nothing comes from the engine until it is ended. */
function quietSocket(): Socket {
  return new Duplex({ read() {}, write(_chunk, _encoding, done) { done(); } }) as unknown as Socket;
}

const parts = () => ({ socket: quietSocket(), tty: true, openStdin: false, waitForExit: Promise.resolve({ code: 0 }), resize: async () => undefined });

describe('attachedProcess and signals', () => {
  it('gives an exec, which the engine cannot signal, no signal at all rather than one that does nothing', () => {
    const handle = attachedProcess(parts());
    expect('signal' in handle).toBe(false);
    expect(handle.signal).toBeUndefined();
    handle.detach();
  });

  it("passes a container's signals to the engine", async () => {
    const sent: string[] = [];
    const handle = attachedProcess({ ...parts(), signal: async (signal: string) => void sent.push(signal) });
    await handle.signal('USR1');
    expect(sent).toEqual(['USR1']);
    handle.detach();
  });
});
