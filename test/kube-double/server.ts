/**
 * TEST DOUBLE OF THE KUBERNETES CONTROL PLANE ONLY. Not a Kubernetes: no scheduler, no
 * kubelet, no etcd, no admission, no auth. It answers the few API calls sidekick's
 * Kubernetes engine makes, over the real wire shapes, and backs every pod with real
 * Docker containers, so that end-to-end tests run against real processes. What it does
 * and does not prove is in test/kube-double/README.md.
 *
 * Skeleton: today it serves only `GET /api/v1/namespaces/NS/pods/NAME` (and a NotFound
 * Status for anything else). Pods are Docker containers labelled as in pod-view.ts, read
 * through the docker CLI, never through sidekick's own engine code, so that the double
 * cannot share a bug with the code it tests.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { docker, lines } from '../fixtures/docker-cli.js';
import { POD_LABEL, noSuchResourceStatus, notFoundStatus, podFromContainers, type DockerInspect } from './pod-view.js';

export interface KubeDouble {
  /** Base URL, e.g. http://127.0.0.1:34567 (what a kubeconfig's cluster.server would say). */
  url: string;
  close(): Promise<void>;
}

const POD_PATH = /^\/api\/v1\/namespaces\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/pods\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/;

export async function startKubeDouble(): Promise<KubeDouble> {
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      send(res, 500, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 });
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://double');
  const pod = POD_PATH.exec(url.pathname);
  if (req.method === 'GET' && pod) {
    const namespace = pod[1] as string;
    const name = pod[3] as string;
    const containers = await podContainers(namespace, name);
    if (containers.length === 0) return send(res, 404, notFoundStatus('pods', name));
    return send(res, 200, podFromContainers(namespace, name, containers));
  }
  send(res, 404, noSuchResourceStatus());
}

async function podContainers(namespace: string, name: string): Promise<DockerInspect[]> {
  const ids = lines(await docker(['ps', '-aq', '--no-trunc', '--filter', `label=${POD_LABEL}=${namespace}/${name}`]));
  if (ids.length === 0) return [];
  return JSON.parse(await docker(['inspect', ...ids])) as DockerInspect[];
}

function send(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
