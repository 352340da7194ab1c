/**
 * The global set-up's lane server (lanes.ts): a Unix socket where a test file asks for its lane
 * by writing its name and a newline, and is answered "ok\n" when the lane is its own. The lane
 * stays held until that connection closes, so a worker that dies releases it too. Waiting
 * files are served in the order they asked.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LaneServer {
  path: string;
  close(): Promise<void>;
}

export async function startLaneServer(): Promise<LaneServer> {
  const directory = await mkdtemp(join(tmpdir(), 'sidekick-test-lanes-'));
  const path = join(directory, 'lanes.sock');
  const holders = new Map<string, Socket>();
  const waiting = new Map<string, Socket[]>();

  const grant = (lane: string): void => {
    if (holders.has(lane)) return;
    const queue = waiting.get(lane) ?? [];
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      if (next.destroyed) continue;
      holders.set(lane, next);
      next.write('ok\n');
      return;
    }
  };

  const server: Server = createServer((socket) => {
    let asked = '';
    let lane: string | undefined;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      if (lane !== undefined) return;
      asked += text;
      const end = asked.indexOf('\n');
      if (end < 0) {
        if (asked.length > 64) socket.destroy();
        return;
      }
      lane = asked.slice(0, end);
      waiting.set(lane, [...(waiting.get(lane) ?? []), socket]);
      grant(lane);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (lane === undefined) return;
      if (holders.get(lane) === socket) holders.delete(lane);
      grant(lane);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return {
    path,
    close: async () => {
      for (const socket of holders.values()) socket.destroy();
      for (const queue of waiting.values()) for (const socket of queue) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Asks for `lane` and resolves, holding it, when it is granted; closing the returned socket releases it. */
export function holdLane(serverPath: string, lane: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the ${lane} lane was not free within ${timeoutMs} ms`));
    }, timeoutMs);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      answer += text;
      if (answer.startsWith('ok\n')) {
        clearTimeout(timer);
        socket.removeAllListeners('data');
        resolve(socket);
      }
    });
    socket.on('error', (error: Error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.connect(serverPath, () => socket.write(`${lane}\n`));
  });
}
