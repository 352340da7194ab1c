/**
 * The API client against recorded answers of an API server. The Status bodies are those
 * apimachinery's errors.go builds (NewNotFound: reason NotFound with details.name/kind;
 * NewForbidden: reason Forbidden, "<resource> \"<name>\" is forbidden: User … cannot <verb>
 * resource …"; an unknown subresource: NotFound with empty details, as kubectl debug's
 * debugByEphemeralContainer tests for).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { KubeApi } from './kube-api.js';
import type { KubeContext } from './kube-config.js';
import { buildEphemeralContainer, STRATEGIC_MERGE_PATCH } from './ephemeral-container.js';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

const TOKEN = 'recorded-token';
const POD = { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'web', namespace: 'shop' }, spec: { containers: [{ name: 'app' }] }, status: { phase: 'Running' } };
const status = (code: number, reason: string, message: string, details: object = {}) => ({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, details, code });

let server: Server | undefined;
let sockets: WebSocketServer | undefined;
afterEach(async () => {
  sockets?.close();
  server?.closeAllConnections();
  server?.close();
  server = undefined;
  sockets = undefined;
});

async function serve(answer: (request: Recorded, response: ServerResponse) => void): Promise<{ api: KubeApi; requests: Recorded[] }> {
  const requests: Recorded[] = [];
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const recorded = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString() };
      requests.push(recorded);
      answer(recorded, response);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { api: new KubeApi(contextFor(url)), requests };
}

function contextFor(server: string): KubeContext {
  const config = new KubeConfig();
  config.loadFromOptions({
    // client-node sends credentials over plain HTTP only when told that TLS is not checked.
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: TOKEN }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'shop' }],
    currentContext: 'x',
  });
  return { config, contextName: 'x', namespace: 'shop', server };
}

const json = (response: ServerResponse, code: number, body: object) => {
  response.writeHead(code, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
};

describe('the Kubernetes API client', () => {
  it('reads a pod with the kubeconfig token, and a missing pod as undefined', async () => {
    const { api, requests } = await serve((request, response) =>
      request.url.endsWith('/web') ? json(response, 200, POD) : json(response, 404, status(404, 'NotFound', 'pods "gone" not found', { name: 'gone', kind: 'pods' })),
    );
    expect(await api.readPod('shop', 'web')).toMatchObject({ metadata: { name: 'web' } });
    expect(await api.readPod('shop', 'gone')).toBeUndefined();
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /api/v1/namespaces/shop/pods/web', 'GET /api/v1/namespaces/shop/pods/gone']);
    expect(requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('lists pods with a label selector', async () => {
    const { api, requests } = await serve((_request, response) => json(response, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [POD] }));
    expect(await api.listPods('shop', { labelSelector: 'app=web,tier!=db' })).toHaveLength(1);
    expect(requests[0]!.url).toBe('/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb%2Ctier!%3Ddb');
  });

  it('lists the pods of every namespace through the cluster-wide collection (kubectl get pods -A)', async () => {
    // API reference, Pod v1 "list or watch objects of kind Pod": GET /api/v1/pods, a PodList of all namespaces.
    const elsewhere = { ...POD, metadata: { name: 'db', namespace: 'data' } };
    const { api, requests } = await serve((_request, response) => json(response, 200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items: [POD, elsewhere] }));
    expect((await api.listPods(undefined)).map((pod) => pod.metadata?.namespace)).toEqual(['shop', 'data']);
    expect(requests[0]!.url).toBe('/api/v1/pods');
  });

  it('adds an ephemeral container with a strategic merge patch of the subresource', async () => {
    const { api, requests } = await serve((_request, response) => json(response, 200, POD));
    const container = buildEphemeralContainer({ targetContainer: 'app', shortId: 'abc123', image: 'busybox', command: ['sh'], stdin: true, tty: false });
    await api.addEphemeralContainer('shop', 'web', container);
    expect(requests[0]).toMatchObject({ method: 'PATCH', url: '/api/v1/namespaces/shop/pods/web/ephemeralcontainers' });
    expect(requests[0]!.headers['content-type']).toBe(STRATEGIC_MERGE_PATCH);
    expect(JSON.parse(requests[0]!.body)).toEqual({ spec: { ephemeralContainers: [container] } });
  });

  it('says plainly what a refusal means: no permission, no ephemeral containers, bad credentials', async () => {
    const forbidden = status(403, 'Forbidden', 'pods "web" is forbidden: User "alice" cannot patch resource "pods/ephemeralcontainers" in API group "" in the namespace "shop"', { name: 'web', kind: 'pods' });
    const container = buildEphemeralContainer({ targetContainer: 'app', shortId: 'abc123', image: 'busybox', command: ['sh'], stdin: false, tty: false });
    const first = await serve((_request, response) => json(response, 403, forbidden));
    await expect(first.api.addEphemeralContainer('shop', 'web', container)).rejects.toThrow(/not allowed to add a sidekick to pod shop\/web: pods "web" is forbidden: User "alice" cannot patch/);
    await afterEachServer();

    const second = await serve((_request, response) => json(response, 404, status(404, 'NotFound', 'the server could not find the requested resource')));
    await expect(second.api.addEphemeralContainer('shop', 'web', container)).rejects.toThrow(/has no ephemeral containers/);
    await afterEachServer();

    const third = await serve((_request, response) => json(response, 401, status(401, 'Unauthorized', 'Unauthorized')));
    await expect(third.api.listPods('shop')).rejects.toMatchObject({ code: 'ENGINE_ERROR', message: expect.stringMatching(/refused the credentials of context x/) });
  });

  it('refuses to send credentials over plain HTTP unless the kubeconfig says TLS is not checked', async () => {
    const context = contextFor('http://127.0.0.1:1');
    context.config.clusters[0] = { ...context.config.clusters[0]!, skipTLSVerify: false };
    await expect(new KubeApi(context).readPod('shop', 'web')).rejects.toMatchObject({ code: 'BAD_USAGE', message: expect.stringMatching(/plain HTTP/) });
  });

  it('reports an API server that is not there as unreachable', async () => {
    const api = new KubeApi(contextFor('http://127.0.0.1:1'));
    await expect(api.readPod('shop', 'web')).rejects.toMatchObject({ code: 'ENGINE_UNREACHABLE' });
  });

  it('opens a channel WebSocket with the token and the protocol the server chose', async () => {
    const { api } = await serve((_request, response) => json(response, 404, {}));
    let upgrade: IncomingMessage | undefined;
    sockets = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has('v4.channel.k8s.io') ? 'v4.channel.k8s.io' : false) });
    server!.on('upgrade', (request, socket, head) => {
      upgrade = request;
      sockets!.handleUpgrade(request, socket, head, (ws) => ws.close());
    });
    const { socket, protocol } = await api.openChannel('/api/v1/namespaces/shop/pods/web/exec?container=app&command=true&stdout=true', ['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    socket.terminate();
    expect(protocol).toBe('v4.channel.k8s.io');
    expect(upgrade?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(upgrade?.headers['sec-websocket-protocol']?.split(',').map((p) => p.trim())).toEqual(['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    expect(upgrade?.url).toBe('/api/v1/namespaces/shop/pods/web/exec?container=app&command=true&stdout=true');
  });

  it('turns a refused upgrade into the API server\'s words', async () => {
    const { api } = await serve((_request, response) => json(response, 400, status(400, 'BadRequest', 'container app is not valid for pod web')));
    await expect(api.openChannel('/api/v1/namespaces/shop/pods/web/exec?container=app&command=true', ['v5.channel.k8s.io'])).rejects.toThrow(/container app is not valid for pod web/);
  });
});

async function afterEachServer(): Promise<void> {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
}
