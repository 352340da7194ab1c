/**
 * A fake engine for hostile archives: an HTTP proxy on a unix socket that passes every call
 * through to the real engine, except the body of `GET /containers/{id}/archive`, which it
 * replaces with a crafted tar (the real answer's headers are kept, so the CLI sees a real
 * container and a real path). It stands for a compromised engine or a container whose
 * archive the engine would pass through as it is; the CLI under test is pointed at it with -H.
 */
import { request, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { rm } from 'node:fs/promises';

export interface CraftedBody {
  /** The whole archive, sent as the archive's body. */
  tar: Buffer;
  /** Send this many bytes of it, then cut the connection (a stream that breaks half way). */
  cutAfter?: number;
}

export interface ArchiveProxy {
  socket: string;
  /** The body the next archive GETs get; undefined passes the real one through. */
  craft(body: CraftedBody | undefined): void;
  close(): Promise<void>;
}

const ENGINE_SOCKET = '/var/run/docker.sock';

export async function startArchiveProxy(socket: string): Promise<ArchiveProxy> {
  let crafted: CraftedBody | undefined;
  const server: Server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const isArchiveGet = incoming.method === 'GET' && /\/containers\/[^/]+\/archive(\?|$)/.test(incoming.url ?? '');
    const upstream = request({ socketPath: ENGINE_SOCKET, method: incoming.method, path: incoming.url, headers: incoming.headers }, (answer) => {
      const body = isArchiveGet && answer.statusCode === 200 ? crafted : undefined;
      if (body === undefined) {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
        return;
      }
      answer.resume();
      const headers = { ...answer.headers };
      delete headers['content-length'];
      delete headers['transfer-encoding'];
      outgoing.writeHead(200, headers);
      if (body.cutAfter === undefined) {
        outgoing.end(body.tar);
      } else {
        outgoing.write(body.tar.subarray(0, body.cutAfter), () => setTimeout(() => outgoing.socket?.destroy(), 50));
      }
    });
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  await rm(socket, { force: true });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  return {
    socket,
    craft: (body) => {
      crafted = body;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(socket, { force: true });
    },
  };
}
