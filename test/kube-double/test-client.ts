/**
 * For the kube-double's own tests: a tiny API client (JSON requests with the double's
 * token, and WebSocket sessions on attach/exec/portforward) and the default toolbox image.
 * The channel codecs are the product's (src/engines/kubernetes/), which have their own
 * recorded-exchange unit tests; everything else here is plain Node.
 */
import { request } from 'node:http';
import { connectEngine } from '../../src/cli/engine-from-flags.js';
import { ensureDefaultToolbox } from '../../src/debug/toolbox.js';
import { CHANNEL, decodeMessage, readStatus, type CommandOutcome, type StreamProtocol } from '../../src/engines/kubernetes/channel-protocol.js';
import type { KubeDouble } from './server.js';
import { connectWebSocket, type WebSocketConnection } from './websocket.js';

export interface StateJson {
  waiting?: { reason?: string };
  running?: { startedAt: string };
  terminated?: { exitCode: number; reason?: string; message?: string };
}

interface StatusJson {
  name: string;
  state: StateJson;
  containerID?: string;
}

/** The parts of a Pod or a Status these tests read. */
export interface ApiJson {
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string };
  spec?: { containers?: { name: string; image: string }[]; ephemeralContainers?: Record<string, unknown>[] };
  status?: string | { phase?: string; podIP?: string; containerStatuses?: StatusJson[]; ephemeralContainerStatuses?: StatusJson[] };
  reason?: string;
  message?: string;
  details?: { name?: string; kind?: string; causes?: { reason: string; field: string; message: string }[] };
  code?: number;
}

export interface PodStatusJson {
  phase?: string;
  podIP?: string;
  containerStatuses?: StatusJson[];
  ephemeralContainerStatuses?: StatusJson[];
}

/** The status of a Pod answer (not of a Status). */
export function podStatus(json: ApiJson): PodStatusJson {
  if (typeof json.status !== 'object') throw new Error(`not a Pod: ${JSON.stringify(json).slice(0, 300)}`);
  return json.status;
}

export interface ApiAnswer {
  status: number;
  json: ApiJson;
}

export function api(double: KubeDouble, method: string, path: string, body?: object, options: { contentType?: string; token?: string | null } = {}): Promise<ApiAnswer> {
  const url = new URL(double.url);
  const text = body === undefined ? undefined : JSON.stringify(body);
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? double.token : options.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  if (text !== undefined) {
    headers['Content-Type'] = options.contentType ?? 'application/strategic-merge-patch+json';
    headers['Content-Length'] = String(Buffer.byteLength(text));
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as ApiJson }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(text);
  });
}

export function openSession(double: KubeDouble, path: string, protocols: readonly string[]): Promise<WebSocketConnection> {
  return connectWebSocket(`${double.url.replace(/^http:/, 'ws:')}${path}`, { protocols, headers: { Authorization: `Bearer ${double.token}` } });
}

export interface SessionResult {
  stdout: string;
  stderr: string;
  outcome: CommandOutcome;
  /** Whether the server's first message was the empty "ready" message. */
  sawReady: boolean;
}

/**
 * Collects an attach or exec session until the server closes it. `onStdout` sees the
 * stdout text so far after each message (to answer a prompt, say).
 */
export function collectSession(conn: WebSocketConnection, onStdout?: (soFar: string) => void): Promise<SessionResult> {
  const protocol = conn.protocol as StreamProtocol;
  let stdout = '';
  let stderr = '';
  const errorChannel: Buffer[] = [];
  let first = true;
  let sawReady = false;
  return new Promise((resolve, reject) => {
    conn.on('message', ({ data }) => {
      const message = decodeMessage(protocol, data);
      if (first) sawReady = message.kind === 'data' && message.data.length === 0;
      first = false;
      if (message.kind === 'data' && message.channel === CHANNEL.stdout) {
        stdout += message.data.toString('utf8');
        onStdout?.(stdout);
      } else if (message.kind === 'data' && message.channel === CHANNEL.stderr) stderr += message.data.toString('utf8');
      else if (message.kind === 'status') errorChannel.push(message.data);
    });
    conn.on('error', reject);
    conn.on('close', ({ code }) => {
      if (code !== 1000) return reject(new Error(`the session closed with WebSocket code ${code}`));
      try {
        resolve({ stdout, stderr, outcome: readStatus(Buffer.concat(errorChannel)), sawReady });
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

/** The default toolbox image (built from the host's busybox if the engine lacks it), as the e2e tests use it. */
export async function defaultToolboxImage(): Promise<string> {
  return (await ensureDefaultToolbox(connectEngine({}).engine, process.env)).image;
}

/** Polls the pod until the named container's status satisfies `done` (the state a kubelet reports asynchronously). */
export async function waitForContainerState(double: KubeDouble, namespace: string, pod: string, container: string, done: (state: StateJson) => boolean): Promise<StateJson> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { json } = await api(double, 'GET', `/api/v1/namespaces/${namespace}/pods/${pod}`);
    const status = podStatus(json);
    const statuses = [...(status.containerStatuses ?? []), ...(status.ephemeralContainerStatuses ?? [])];
    const state = statuses.find((s) => s.name === container)?.state;
    if (state !== undefined && done(state)) return state;
    if (Date.now() > deadline) throw new Error(`container ${container} of ${namespace}/${pod} never reached the state awaited; last: ${JSON.stringify(state)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
