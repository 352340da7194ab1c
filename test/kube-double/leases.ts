/**
 * Leases (`coordination.k8s.io/v1`) of the control-plane double: what sidekick's injection lock
 * uses (src/engines/kubernetes/lease-locks.ts). Kept in memory for the double's life, answered in
 * the API server's shapes: a create of a name that exists is 409 AlreadyExists (API conventions,
 * "Concurrency Control and Consistency"), a delete whose `preconditions.uid` is not the object's
 * is 409 Conflict, a missing lease is 404 NotFound with details `{name, group, kind}`.
 */
import { randomUUID } from 'node:crypto';

export interface LeaseAnswer {
  code: number;
  body: object;
}

interface StoredLease {
  metadata: { name: string; namespace: string; uid: string; creationTimestamp: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
}

const GROUP = 'coordination.k8s.io';
const NAME = /^[a-z0-9](?:[-.a-z0-9]*[a-z0-9])?$/;

function failure(code: number, reason: string, message: string, name?: string): LeaseAnswer {
  return {
    code,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(name === undefined ? {} : { details: { name, group: GROUP, kind: 'leases' } }) },
  };
}

export class LeaseStore {
  private readonly leases = new Map<string, StoredLease>();

  create(namespace: string, body: unknown): LeaseAnswer {
    const lease = body as { metadata?: { name?: unknown; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: Record<string, unknown> } | undefined;
    const name = lease?.metadata?.name;
    if (typeof name !== 'string' || name.length > 253 || !NAME.test(name)) {
      return failure(422, 'Invalid', `Lease.coordination.k8s.io "${String(name)}" is invalid: metadata.name: Invalid value`);
    }
    const key = `${namespace}/${name}`;
    if (this.leases.has(key)) return failure(409, 'AlreadyExists', `leases.${GROUP} "${name}" already exists`, name);
    const stored: StoredLease = {
      metadata: { name, namespace, uid: randomUUID(), creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), labels: lease?.metadata?.labels, annotations: lease?.metadata?.annotations },
      spec: lease?.spec ?? {},
    };
    this.leases.set(key, stored);
    return { code: 201, body: this.json(stored) };
  }

  read(namespace: string, name: string): LeaseAnswer {
    const stored = this.leases.get(`${namespace}/${name}`);
    return stored === undefined ? failure(404, 'NotFound', `leases.${GROUP} "${name}" not found`, name) : { code: 200, body: this.json(stored) };
  }

  delete(namespace: string, name: string, options: unknown): LeaseAnswer {
    const key = `${namespace}/${name}`;
    const stored = this.leases.get(key);
    if (stored === undefined) return failure(404, 'NotFound', `leases.${GROUP} "${name}" not found`, name);
    const uid = (options as { preconditions?: { uid?: unknown } } | undefined)?.preconditions?.uid;
    if (typeof uid === 'string' && uid !== stored.metadata.uid) {
      return failure(409, 'Conflict', `Operation cannot be fulfilled on leases.${GROUP} "${name}": Precondition failed: UID in precondition: ${uid}, UID in object meta: ${stored.metadata.uid}`, name);
    }
    this.leases.delete(key);
    return { code: 200, body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, group: GROUP, kind: 'leases', uid: stored.metadata.uid } } };
  }

  /** The leases of a namespace (or all) whose labels match an equality selector (`k=v,k2=v2`). */
  list(namespace: string | undefined, selector: string | null): LeaseAnswer {
    const wanted = (selector ?? '').split(',').filter((term) => term !== '').map((term) => term.split('='));
    const items = [...this.leases.values()]
      .filter((lease) => namespace === undefined || lease.metadata.namespace === namespace)
      .filter((lease) => wanted.every(([key, value]) => lease.metadata.labels?.[key ?? ''] === value))
      .map((lease) => this.json(lease));
    return { code: 200, body: { apiVersion: `${GROUP}/v1`, kind: 'LeaseList', metadata: {}, items } };
  }

  /** Every lease, for a test's check that nothing was left. */
  all(): Array<{ namespace: string; name: string; annotations: Record<string, string> }> {
    return [...this.leases.values()].map((lease) => ({ namespace: lease.metadata.namespace, name: lease.metadata.name, annotations: lease.metadata.annotations ?? {} }));
  }

  private json(stored: StoredLease): object {
    return { apiVersion: `${GROUP}/v1`, kind: 'Lease', metadata: stored.metadata, spec: stored.spec };
  }
}
