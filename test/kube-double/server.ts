/**
 * TEST DOUBLE OF THE KUBERNETES CONTROL PLANE ONLY. Not a Kubernetes: no scheduler, no
 * kubelet, no etcd, no admission, no authorisation. It answers the few API calls
 * sidekick's Kubernetes engine makes, over the real wire shapes, and backs every pod with
 * real Docker containers, so that end-to-end tests run against real processes. What it
 * does and does not prove is in test/kube-double/README.md.
 *
 * Served (each with a bearer token, the one authentication it checks):
 * - GET  /api/v1/namespaces/NS/pods and /api/v1/pods (every namespace), with equality label selectors
 * - POST /api/v1/namespaces/NS/pods, DELETE …/pods/NAME
 * - GET  /api/v1/namespaces/NS/pods/NAME (and …/ephemeralcontainers, which answers the Pod)
 * - PATCH /api/v1/namespaces/NS/pods/NAME/ephemeralcontainers (strategic merge patch)
 * - GET …/pods/NAME/attach and …/exec, upgraded to a WebSocket (v5/v4.channel.k8s.io)
 * - GET …/pods/NAME/portforward, upgraded to a WebSocket (v4.channel.k8s.io)
 * - GET and POST /apis/coordination.k8s.io/v1/namespaces/NS/leases (and GET …/v1/leases, every
 *   namespace), with equality label selectors; GET and DELETE …/leases/NAME (leases.ts)
 * Anything else gets a NotFound Status with empty details (an unknown resource).
 *
 * Pods are Docker containers labelled as in pod-view.ts, made by pods.ts, read through the
 * docker CLI and the engine's socket (docker-socket.ts), never through sidekick's own
 * engine code, so that the double cannot share a bug with the code it tests.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { STREAM_PROTOCOL_V4, STREAM_PROTOCOL_V5, chooseProtocol, type StreamProtocol } from '../../src/engines/kubernetes/channel-protocol.js';
import { STRATEGIC_MERGE_PATCH } from '../../src/engines/kubernetes/ephemeral-container.js';
import { PORT_FORWARD_PROTOCOL, PortForwardProtocolError, parsePortsQuery } from '../../src/engines/kubernetes/port-forward-protocol.js';
import { DockerApiError, dockerRequest } from './docker-socket.js';
import { createEphemeralContainer, createImageMissingPlaceholder, invalidStatus, planEphemeralPatch, startInBackground } from './ephemeral.js';
import { ensurePauseImage } from './pause-image.js';
import { POD_LABEL, containerNameOf, noSuchResourceStatus, notFoundStatus, podFromContainers, roleOf, type DockerInspect } from './pod-view.js';
import { servePortForward } from './port-forward.js';
import { deletePod } from './pods.js';
import { createPostedPod, markPodDeleted, planPostedPod, removePodVolumes } from './posted-pods.js';
import { serveRemoteCommand, type RemoteCommandRequest } from './remote-command.js';
import { acceptUpgrade } from './websocket.js';
import { LeaseStore } from './leases.js';

export interface KubeDoubleOptions {
  /** The remote-command subprotocols served, best first: the API server speaks v5, a kubelet v4. */
  remoteCommandProtocols?: readonly StreamProtocol[];
}

export interface KubeDouble {
  /** Base URL, e.g. http://127.0.0.1:34567 (what a kubeconfig's cluster.server would say). */
  url: string;
  /** The bearer token every request must carry (`Authorization: Bearer …`). */
  token: string;
  /** The leases held now (sidekick's injection locks), for a test's check that none was left. */
  leases(): Array<{ namespace: string; name: string; annotations: Record<string, string> }>;
  close(): Promise<void>;
}

const DNS_LABEL = '[a-z0-9](?:[-a-z0-9]*[a-z0-9])?';
const DNS_SUBDOMAIN = '[a-z0-9](?:[-.a-z0-9]*[a-z0-9])?';
const POD_PATH = new RegExp(`^/api/v1/namespaces/(${DNS_LABEL})/pods/(${DNS_SUBDOMAIN})(?:/(ephemeralcontainers|attach|exec|portforward))?$`);

const LEASE_LIST_PATH = new RegExp(`^/apis/coordination\\.k8s\\.io/v1/namespaces/(${DNS_LABEL})/leases$`);
const LEASE_PATH = new RegExp(`^/apis/coordination\\.k8s\\.io/v1/namespaces/(${DNS_LABEL})/leases/([^/]+)$`);
const POD_LIST_PATH = new RegExp(`^/api/v1/namespaces/(${DNS_LABEL})/pods$`);
/** Every namespace's pods (kubectl get pods -A). */
const ALL_PODS_PATH = '/api/v1/pods';

interface ApiError {
  code: number;
  body: object;
}

function status(code: number, reason: string, message: string): ApiError {
  return { code, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code } };
}

const badRequest = (message: string): ApiError => status(400, 'BadRequest', message);

export async function startKubeDouble(options: KubeDoubleOptions = {}): Promise<KubeDouble> {
  const token = randomBytes(24).toString('hex');
  const protocols = options.remoteCommandProtocols ?? [STREAM_PROTOCOL_V5, STREAM_PROTOCOL_V4];
  const authorised = (req: IncomingMessage): boolean => req.headers.authorization === `Bearer ${token}`;
  const unauthorised = status(401, 'Unauthorized', 'Unauthorized');
  const leases = new LeaseStore();
  const server: Server = createServer((req, res) => {
    if (!authorised(req)) return send(res, unauthorised);
    handle(req, res, leases).catch((error: unknown) => send(res, internalError(error)));
  });
  // Upgraded sockets leave the HTTP server's books: closing the double must end them itself.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    upgraded.add(socket);
    socket.on('close', () => upgraded.delete(socket));
    if (!authorised(req)) return refuseUpgrade(socket, unauthorised);
    handleUpgrade(req, socket, head, protocols).catch((error: unknown) => refuseUpgrade(socket, internalError(error)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    leases: () => leases.all(),
    close: async () => {
      for (const socket of upgraded) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

function internalError(error: unknown): ApiError {
  return status(500, 'InternalError', `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`);
}

async function handle(req: IncomingMessage, res: ServerResponse, leases: LeaseStore): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://double');
  const leaseList = LEASE_LIST_PATH.exec(url.pathname);
  if (url.pathname === '/apis/coordination.k8s.io/v1/leases' && req.method === 'GET') return send(res, leases.list(undefined, url.searchParams.get('labelSelector')));
  if (leaseList && req.method === 'GET') return send(res, leases.list(leaseList[1] as string, url.searchParams.get('labelSelector')));
  if (leaseList && req.method === 'POST') return send(res, leases.create(leaseList[1] as string, await jsonBody(req)));
  const lease = LEASE_PATH.exec(url.pathname);
  if (lease && req.method === 'GET') return send(res, leases.read(lease[1] as string, decodeURIComponent(lease[2] as string)));
  if (lease && req.method === 'DELETE') return send(res, leases.delete(lease[1] as string, decodeURIComponent(lease[2] as string), await jsonBody(req)));
  if (url.pathname === ALL_PODS_PATH && req.method === 'GET') return send(res, await podList(undefined, url.searchParams));
  const list = POD_LIST_PATH.exec(url.pathname);
  if (list && req.method === 'GET') return send(res, await podList(list[1] as string, url.searchParams));
  if (list && req.method === 'POST') {
    const namespace = list[1] as string;
    let body: unknown;
    try {
      body = JSON.parse((await readBody(req)).toString('utf8'));
    } catch (error) {
      return send(res, badRequest(`error decoding body: ${error instanceof Error ? error.message : String(error)}`));
    }
    const plan = planPostedPod(body);
    if (plan.kind === 'invalid') return send(res, { code: 422, body: invalidStatus(String((body as { metadata?: { name?: unknown } })?.metadata?.name ?? ''), plan.errors) });
    if ((await podContainers(namespace, plan.name)).length > 0) {
      return send(res, { code: 409, body: { ...status(409, 'AlreadyExists', `pods "${plan.name}" already exists`).body, details: { name: plan.name, kind: 'pods' } } });
    }
    await createPostedPod(namespace, plan.name, plan.pod);
    return send(res, { code: 201, body: podFromContainers(namespace, plan.name, await podContainers(namespace, plan.name)) });
  }
  const match = POD_PATH.exec(url.pathname);
  if (!match) return send(res, { code: 404, body: noSuchResourceStatus() });
  const [, namespace, name, subresource] = match as unknown as [string, string, string, string | undefined];
  if (subresource === 'attach' || subresource === 'exec' || subresource === 'portforward') {
    return send(res, badRequest('Upgrade request required'));
  }
  const containers = await podContainers(namespace, name);
  if (containers.length === 0) return send(res, { code: 404, body: notFoundStatus('pods', name) });
  if (req.method === 'GET') return send(res, { code: 200, body: podFromContainers(namespace, name, containers) });
  if (req.method === 'DELETE' && subresource === undefined) {
    const pod = podFromContainers(namespace, name, containers);
    markPodDeleted(namespace, name);
    await deletePod(namespace, name);
    await removePodVolumes(namespace, name);
    return send(res, { code: 200, body: pod });
  }
  if (req.method === 'PATCH' && subresource === 'ephemeralcontainers') {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim();
    if (type !== STRATEGIC_MERGE_PATCH) {
      return send(
        res,
        status(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: ${STRATEGIC_MERGE_PATCH}`),
      );
    }
    let patch: unknown;
    try {
      patch = JSON.parse((await readBody(req)).toString('utf8'));
    } catch (error) {
      return send(res, badRequest(`error decoding patch: ${error instanceof Error ? error.message : String(error)}`));
    }
    const plan = planEphemeralPatch(patch, containers);
    if (plan.kind === 'bad-request') return send(res, badRequest(plan.message));
    if (plan.kind === 'invalid') return send(res, { code: 422, body: invalidStatus(name, plan.errors) });
    for (const spec of plan.containers) {
      if (!(await hasImage(String(spec.image)))) {
        await createImageMissingPlaceholder(namespace, name, spec, await ensurePauseImage());
      } else {
        startInBackground(await createEphemeralContainer(namespace, name, spec, containers));
      }
    }
    return send(res, { code: 200, body: podFromContainers(namespace, name, await podContainers(namespace, name)) });
  }
  send(res, status(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`));
}

const TRUE_VALUES = new Set(['1', 't', 'T', 'true', 'TRUE', 'True']);

function flag(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const value = query.get(name);
  return value === null ? fallback : TRUE_VALUES.has(value);
}

async function handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, protocols: readonly StreamProtocol[]): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://double');
  const match = POD_PATH.exec(url.pathname);
  const subresource = match?.[3];
  if (!match || (subresource !== 'attach' && subresource !== 'exec' && subresource !== 'portforward')) {
    return refuseUpgrade(socket, { code: 404, body: noSuchResourceStatus() });
  }
  const [, namespace, name] = match as unknown as [string, string, string];
  const containers = await podContainers(namespace, name);
  if (containers.length === 0) return refuseUpgrade(socket, { code: 404, body: notFoundStatus('pods', name) });
  const pod = podFromContainers(namespace, name, containers) as { metadata: { uid: string } };
  const query = url.searchParams;

  if (subresource === 'portforward') {
    let ports: number[];
    try {
      ports = parsePortsQuery(query);
    } catch (error) {
      if (error instanceof PortForwardProtocolError) return refuseUpgrade(socket, badRequest(error.message));
      throw error;
    }
    const pause = containers.find((c) => roleOf(c) === 'pause');
    if (pause === undefined || !pause.State.Running) {
      return refuseUpgrade(socket, badRequest(`pod ${name} has no running pause container to forward from (make pods with createPod)`));
    }
    const conn = acceptUpgrade(req, socket, head, (offered) => chooseProtocol(offered, [PORT_FORWARD_PROTOCOL]));
    if (conn !== undefined) servePortForward(conn, { podName: name, podUid: pod.metadata.uid, pauseId: pause.Id }, ports);
    return;
  }

  const runnable = containers.filter((c) => roleOf(c) !== 'pause');
  const regular = runnable.filter((c) => roleOf(c) === 'container');
  let containerName = query.get('container') ?? '';
  if (containerName === '') {
    if (regular.length !== 1) {
      return refuseUpgrade(socket, badRequest(`a container name must be specified for pod ${name}, choose one of: [${regular.map(containerNameOf).join(' ')}]`));
    }
    containerName = containerNameOf(regular[0] as DockerInspect);
  }
  const container = runnable.find((c) => containerNameOf(c) === containerName);
  if (container === undefined) return refuseUpgrade(socket, badRequest(`container ${containerName} is not valid for pod ${name}`));
  if (!container.State.Running) return refuseUpgrade(socket, badRequest(`container ${containerName} in pod ${name} is not running`));
  const tty = flag(query, 'tty', false);
  const request: RemoteCommandRequest = {
    kind: subresource,
    containerId: container.Id,
    stdin: flag(query, 'stdin', false),
    stdout: flag(query, 'stdout', true),
    // With a TTY the kubelet drops stderr: the terminal carries both (remotecommand/httpstream.go, NewOptions).
    stderr: flag(query, 'stderr', true) && !tty,
    tty,
    command: query.getAll('command'),
  };
  if (!request.stdin && !request.stdout && !request.stderr) return refuseUpgrade(socket, badRequest('you must specify at least 1 of stdin, stdout, stderr'));
  if (subresource === 'exec' && request.command.length === 0) return refuseUpgrade(socket, badRequest('you must specify at least one command for the container'));
  let chosen: StreamProtocol | undefined;
  const conn = acceptUpgrade(req, socket, head, (offered) => (chosen = chooseProtocol(offered, protocols)));
  if (conn !== undefined && chosen !== undefined) serveRemoteCommand(conn, chosen, request);
}

/**
 * `GET …/namespaces/NS/pods`: a PodList of the namespace's pods, filtered by an
 * equality-based label selector as the API server evaluates one. Only posted pods carry
 * labels (createPod's carry none, so a selector with a required label matches none of them).
 */
async function podList(namespace: string | undefined, query: URLSearchParams): Promise<ApiError> {
  const all = await inspectLabelled(POD_LABEL);
  const byPod = new Map<string, DockerInspect[]>();
  for (const container of all) {
    const key = container.Config.Labels?.[POD_LABEL] ?? '';
    if (namespace !== undefined && !key.startsWith(`${namespace}/`)) continue;
    if (!key.includes('/')) continue;
    byPod.set(key, [...(byPod.get(key) ?? []), container]);
  }
  const selector = query.get('labelSelector') ?? '';
  const items = [...byPod]
    .map(([key, containers]) => {
      const slash = key.indexOf('/');
      return podFromContainers(key.slice(0, slash), key.slice(slash + 1), containers) as { metadata: { labels?: Record<string, string> } };
    })
    .filter((pod) => matchesSelector(pod.metadata.labels ?? {}, selector));
  return { code: 200, body: { kind: 'PodList', apiVersion: 'v1', metadata: {}, items } };
}

/** An equality-based label selector (`k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated: all must hold). */
export function matchesSelector(labels: Record<string, string>, selector: string): boolean {
  return selector
    .split(',')
    .map((term) => term.trim())
    .filter((term) => term !== '')
    .every((term) => {
      const match = /^(!?)([^=!]+?)\s*(?:(==|=|!=)\s*(.*))?$/.exec(term);
      if (!match) return false;
      const [, not, key, op, value] = match as unknown as [string, string, string, string | undefined, string | undefined];
      if (op === undefined) return not === '' ? key in labels : !(key in labels);
      return op === '!=' ? labels[key] !== value : labels[key] === value;
    });
}

/** Whether the engine has the image (the double pulls nothing). */
async function hasImage(reference: string): Promise<boolean> {
  return dockerRequest('GET', `/images/${encodeURIComponent(reference)}/json`).then(
    () => true,
    (error: unknown) => {
      if (error instanceof DockerApiError && error.status === 404) return false;
      throw error;
    },
  );
}

async function podContainers(namespace: string, name: string): Promise<DockerInspect[]> {
  return inspectLabelled(`${POD_LABEL}=${namespace}/${name}`);
}

/**
 * `docker inspect` of every container carrying a label (`key` or `key=value`), through the
 * engine's API: the engine polls a pod's state every quarter second, and a docker CLI process
 * per answer made every pod case seconds slower. A container removed meanwhile is left out.
 */
async function inspectLabelled(label: string): Promise<DockerInspect[]> {
  const listed = (await dockerRequest('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [label] }))}`)) as Array<{ Id: string }>;
  const found = await Promise.all(listed.map((c) => dockerRequest('GET', `/containers/${c.Id}/json`).catch(() => undefined) as Promise<DockerInspect | undefined>));
  return found.filter((c): c is DockerInspect => c !== undefined);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, { code, body }: ApiError | { code: number; body: object }): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** An HTTP error answer on a socket that asked for an upgrade (before any WebSocket exists). */
function refuseUpgrade(socket: Duplex, { code, body }: ApiError): void {
  const text = JSON.stringify(body);
  const reason = { 400: 'Bad Request', 401: 'Unauthorized', 404: 'Not Found', 500: 'Internal Server Error' }[code] ?? 'Error';
  socket.end(`HTTP/1.1 ${code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}

/** A request's JSON body; undefined when it has none or it is not JSON (the store says what is wrong). */
async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const text = (await readBody(req)).toString('utf8');
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}
