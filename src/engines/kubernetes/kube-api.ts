/**
 * The few Kubernetes API calls sidekick makes, over the cluster and credentials that
 * kube-config.ts found (docs/ARCHITECTURE.md, "Kubernetes engine"). client-node applies the
 * kubeconfig's TLS and authentication (tokens, client certificates, exec plugins) to each
 * request; the requests themselves are plain JSON, and the exec/attach/port-forward
 * connections are WebSockets carrying channel-protocol.ts's frames.
 *
 * Facts (kubernetes/kubernetes staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go):
 * a refused request carries a metav1.Status with `reason` (NotFound, Forbidden,
 * Unauthorized, Invalid, …), `message`, and `details.name`/`kind` when a named object is
 * meant; a NotFound without details.name is an unknown resource or subresource.
 */
import { request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import WebSocket from 'ws';
import { SidekickError } from '../../core/errors.js';
import type { KubeContext } from './kube-config.js';
import { LEASE_API, type LeaseJson } from './lease-locks.js';
import { addEphemeralContainerRequest, isEphemeralContainersUnsupported, type EphemeralContainerJson, type PodJson } from './ephemeral-container.js';

/** A metav1.Status as far as messages need it. */
export interface StatusJson {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string };
}

export class KubeApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly status: StatusJson | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface PodListJson {
  items: PodJson[];
}

/** How long a call may take before the API server counts as not answering. */
const CALL_TIMEOUT_MS = 30_000;

export class KubeApi {
  constructor(readonly context: KubeContext) {}

  /** The pod, or undefined when there is none of that name. */
  async readPod(namespace: string, name: string): Promise<PodJson | undefined> {
    try {
      return (await this.call('GET', podPath(namespace, name))) as PodJson;
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404 && error.status?.details?.name === name) return undefined;
      throw this.translate(error, `read pod ${namespace}/${name}`);
    }
  }

  /** The pods of a namespace, or of every namespace (`undefined`: GET /api/v1/pods, kubectl's -A). */
  async listPods(namespace: string | undefined, options: { labelSelector?: string } = {}): Promise<PodJson[]> {
    const query = options.labelSelector === undefined ? '' : `?labelSelector=${encodeURIComponent(options.labelSelector)}`;
    const path = namespace === undefined ? '/api/v1/pods' : `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`;
    try {
      return ((await this.call('GET', `${path}${query}`)) as PodListJson).items ?? [];
    } catch (error) {
      throw this.translate(error, namespace === undefined ? 'list the pods of every namespace' : `list the pods of ${namespace}`);
    }
  }

  /** Adds an ephemeral container (kubectl debug's patch); returns the pod as the API server answered. */
  async addEphemeralContainer(namespace: string, pod: string, container: EphemeralContainerJson): Promise<PodJson> {
    const patch = addEphemeralContainerRequest(namespace, pod, container);
    try {
      return (await this.call(patch.method, patch.path, patch.body, patch.contentType)) as PodJson;
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404 && isEphemeralContainersUnsupported(error.status)) {
        throw new SidekickError('ENGINE_ERROR', `the cluster at ${this.context.server} has no ephemeral containers (Kubernetes 1.25 or later has them).`, {
          hint: 'Debug a copy of the pod instead: sidekick exec --copy pod/NAME.',
          cause: error,
        });
      }
      throw this.translate(error, `add a sidekick to pod ${namespace}/${pod}`);
    }
  }

  /** Creates a pod (a debug copy); returns it as the API server answered. */
  async createPod(namespace: string, pod: object): Promise<PodJson> {
    try {
      return (await this.call('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, pod)) as PodJson;
    } catch (error) {
      throw this.translate(error, `create a pod in ${namespace}`);
    }
  }

  /**
   * Deletes a pod, its processes given `graceSeconds` to end; a pod already gone is fine.
   * Resolves when the API server accepted the deletion, not when the pod is gone.
   */
  async deletePod(namespace: string, name: string, graceSeconds: number): Promise<void> {
    try {
      await this.call('DELETE', `${podPath(namespace, name)}?gracePeriodSeconds=${graceSeconds}`);
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) return;
      throw this.translate(error, `delete pod ${namespace}/${name}`);
    }
  }

  /** Creates a lease (the injection lock, lease-locks.ts); its UID, or undefined when that name exists. */
  async createLease(namespace: string, lease: LeaseJson): Promise<string | undefined> {
    try {
      return ((await this.call('POST', `${LEASE_API}/namespaces/${encodeURIComponent(namespace)}/leases`, lease)) as LeaseJson).metadata?.uid ?? '';
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 409 && error.status?.reason === 'AlreadyExists') return undefined;
      throw this.translate(error, `create a lease in ${namespace}`);
    }
  }

  async readLease(namespace: string, name: string): Promise<LeaseJson | undefined> {
    try {
      return (await this.call('GET', leasePath(namespace, name))) as LeaseJson;
    } catch (error) {
      if (error instanceof KubeApiError && error.statusCode === 404) return undefined;
      throw this.translate(error, `read lease ${namespace}/${name}`);
    }
  }

  /** The leases of a namespace, or of every namespace (`undefined`), that match a label selector. */
  async listLeases(namespace: string | undefined, labelSelector: string): Promise<LeaseJson[]> {
    const path = namespace === undefined ? `${LEASE_API}/leases` : `${LEASE_API}/namespaces/${encodeURIComponent(namespace)}/leases`;
    try {
      return ((await this.call('GET', `${path}?labelSelector=${encodeURIComponent(labelSelector)}`)) as { items?: LeaseJson[] }).items ?? [];
    } catch (error) {
      throw this.translate(error, namespace === undefined ? 'list the leases of every namespace' : `list the leases of ${namespace}`);
    }
  }

  /** Deletes a lease, if given only while its UID is still `uid` (a precondition: 409 Conflict otherwise); gone or replaced is fine. */
  async deleteLease(namespace: string, name: string, uid?: string): Promise<void> {
    try {
      await this.call('DELETE', leasePath(namespace, name), uid === undefined ? undefined : { apiVersion: 'v1', kind: 'DeleteOptions', preconditions: { uid } });
    } catch (error) {
      if (error instanceof KubeApiError && (error.statusCode === 404 || error.statusCode === 409)) return;
      throw this.translate(error, `delete lease ${namespace}/${name}`);
    }
  }

  /**
   * Opens an exec, attach or port-forward WebSocket; resolves once the server accepted one of
   * `protocols`. `paused`: the socket reads nothing until the caller resumes it, so that no
   * message is emitted before its listeners are in place (what came with the handshake is
   * emitted on a tick that runs before the caller's await returns).
   */
  async openChannel(path: string, protocols: readonly string[], open: { paused?: boolean } = {}): Promise<{ socket: WebSocket; protocol: string }> {
    const url = new URL(path, this.context.server);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const options: WebSocket.ClientOptions & { headers: Record<string, string> } = { headers: {}, handshakeTimeout: CALL_TIMEOUT_MS, perMessageDeflate: false };
    await this.context.config.applyToHTTPSOptions(options).catch((error: unknown) => {
      throw this.translate(error, `connect to ${url.pathname}`);
    });
    const socket = new WebSocket(url, [...protocols], options);
    return new Promise((resolve, reject) => {
      socket.once('open', () => {
        if (open.paused === true) socket.pause();
        socket.removeAllListeners('unexpected-response');
        resolve({ socket, protocol: socket.protocol });
      });
      socket.once('unexpected-response', (_request, response) => {
        void readBody(response).then((body) => {
          socket.terminate();
          reject(this.translate(apiError(response.statusCode ?? 0, body), `connect to ${url.pathname}`));
        });
      });
      socket.once('error', (error) => reject(this.translate(error, `connect to ${url.pathname}`)));
    });
  }

  private async call(method: string, path: string, body?: object, contentType = 'application/json'): Promise<unknown> {
    const url = new URL(path, this.context.server);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const options: RequestOptions & { headers: Record<string, string> } = {
      method,
      headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': contentType, 'Content-Length': String(payload.length) } : {}) },
      timeout: CALL_TIMEOUT_MS,
    };
    await this.context.config.applyToHTTPSOptions(options);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, options, (response) => {
        void readBody(response).then((text) => {
          const code = response.statusCode ?? 0;
          if (code < 200 || code >= 300) return reject(apiError(code, text));
          try {
            resolve(JSON.parse(text));
          } catch {
            reject(new KubeApiError(code, undefined, `the API server answered ${method} ${url.pathname} with something else than JSON`));
          }
        }, reject);
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('no answer in time'), { code: 'ETIMEDOUT' })));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** One table from API and connection failures to sidekick's errors. */
  translate(error: unknown, doing: string): SidekickError {
    if (error instanceof SidekickError) return error;
    const server = this.context.server;
    if (error instanceof KubeApiError) {
      const message = error.status?.message ?? error.message;
      switch (error.statusCode) {
        case 401:
          return new SidekickError('ENGINE_ERROR', `the API server at ${server} refused the credentials of context ${this.context.contextName} (${doing}).`, {
            hint: 'Log in again or fix the kubeconfig; kubectl get pods shows the same refusal.',
            cause: error,
          });
        case 403:
          return new SidekickError('ENGINE_ERROR', `not allowed to ${doing}: ${message}`, {
            hint: 'Ask for the RBAC permission; kubectl auth can-i lists yours.',
            cause: error,
          });
        case 404:
          if (error.status?.details?.kind === 'pods' && error.status.details.name !== undefined) {
            return new SidekickError('TARGET_NOT_FOUND', `no pod ${error.status.details.name} in namespace ${this.context.namespace}.`, {
              hint: 'List the pods with kubectl get pods, or name the namespace with -n.',
              cause: error,
            });
          }
          break;
        default:
          break;
      }
      return new SidekickError('ENGINE_ERROR', `the API server could not ${doing}: ${message}`, { cause: error });
    }
    if (error instanceof Error && error.message.startsWith('HTTP protocol is not allowed')) {
      return new SidekickError('BAD_USAGE', `the kubeconfig's server ${server} is plain HTTP, over which credentials would travel in clear.`, {
        hint: 'Use the https:// address; for a local kubectl proxy, set insecure-skip-tls-verify: true on that cluster.',
        cause: error,
      });
    }
    const code = (error as { code?: string }).code;
    if (code === 'ETIMEDOUT') {
      return new SidekickError('ENGINE_TIMEOUT', `the API server at ${server} did not answer in time (${doing}).`, { hint: 'Check the cluster and your connection to it.', cause: error });
    }
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EHOSTUNREACH' || code === 'ECONNRESET' || code === 'EAI_AGAIN') {
      return new SidekickError('ENGINE_UNREACHABLE', `cannot reach the API server at ${server} (${code}).`, {
        hint: `Check that the cluster of context ${this.context.contextName} is up and reachable (kubectl cluster-info).`,
        cause: error,
      });
    }
    return new SidekickError('ENGINE_ERROR', `the API server could not ${doing}: ${(error as Error).message}`, { cause: error });
  }
}

function leasePath(namespace: string, name: string): string {
  return `${LEASE_API}/namespaces/${encodeURIComponent(namespace)}/leases/${encodeURIComponent(name)}`;
}

export function podPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`;
}

function apiError(statusCode: number, text: string): KubeApiError {
  let status: StatusJson | undefined;
  try {
    const parsed = JSON.parse(text) as StatusJson;
    if (parsed !== null && typeof parsed === 'object' && parsed.kind === 'Status') status = parsed;
  } catch {
    // Not a Status (a proxy's page, …): the HTTP status alone says what happened.
  }
  return new KubeApiError(statusCode, status, status?.message ?? `HTTP ${statusCode}${text === '' ? '' : `: ${text.slice(0, 200)}`}`);
}

function readBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    response.on('error', reject);
  });
}
