/**
 * The Kubernetes engine's target lock (engine.ts, TargetLockCapability; docs/ARCHITECTURE.md,
 * "Kubernetes engine"): a `coordination.k8s.io/v1` Lease in the pod's namespace, named after the
 * pod and container (`sidekick-inject-lock-POD.CONTAINER`). Creating an object whose name exists fails with 409 AlreadyExists (API
 * conventions, "Concurrency Control and Consistency"), which makes the create exclusive, as a
 * container name is on Docker. The holder's record is kept as the Lease's annotations (label
 * values cannot hold a host name and a PID), its process also as `spec.holderIdentity`, which
 * `kubectl get leases` shows. It is deleted with a precondition on its UID (DeleteOptions
 * `preconditions.uid`), so a lock taken over by another process in between is never removed.
 *
 * Nothing is written into the pod; RBAC must allow create, get and delete of leases in the
 * namespace (docs/ARCHITECTURE.md lists what sidekick asks of a role).
 */
import { createHash } from 'node:crypto';
import { LABEL_LOCK_HOLDER } from '../../core/labels.js';
import { shellWord } from '../../core/shell-word.js';
import type { ContainerSummary, Target } from '../../core/target.js';
import type { TargetLockCapability } from '../engine.js';
import { parsePodContainerId } from './pod-target.js';

export const LEASE_API = '/apis/coordination.k8s.io/v1';
/** The label every lease of sidekick's carries (Kubernetes' recommended labels). */
export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'sidekick' } as const;
/** The longest name of an object (a DNS subdomain). */
const NAME_MAX = 253;

export interface LeaseJson {
  metadata?: { name?: string; namespace?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { holderIdentity?: string };
}

/**
 * A lease as `sessions` and `prune` see it, among the engine's containers: an object of
 * sidekick's that never runs, its record as its labels, as a lock container is on Docker. Its ID
 * (`lease:NAMESPACE/NAME`) cannot be a pod container's, whose names hold no ":".
 */
export function leaseSummary(lease: LeaseJson): ContainerSummary | undefined {
  const namespace = lease.metadata?.namespace;
  const name = lease.metadata?.name;
  if (namespace === undefined || name === undefined) return undefined;
  return { id: `${LEASE_ID_PREFIX}${namespace}/${name}`, names: [`lease/${name}`], image: '', status: 'created', labels: lease.metadata?.annotations ?? {}, labelsSetOnObject: true };
}

const LEASE_ID_PREFIX = 'lease:';

/** The lease a summary's ID names; undefined for any other ID. */
export function parseLeaseId(id: string): { namespace: string; name: string } | undefined {
  if (!id.startsWith(LEASE_ID_PREFIX)) return undefined;
  const [namespace, name, ...rest] = id.slice(LEASE_ID_PREFIX.length).split('/');
  return namespace && name && rest.length === 0 ? { namespace, name } : undefined;
}

/** The label selector of sidekick's leases. */
export const MANAGED_BY_SELECTOR = Object.entries(MANAGED_BY).map(([key, value]) => `${key}=${value}`).join(',');

/** What the lease capability needs of the API (kube-api.ts). */
export interface LeaseApi {
  /** The new lease's UID; undefined when one of that name exists. */
  createLease(namespace: string, lease: LeaseJson): Promise<string | undefined>;
  readLease(namespace: string, name: string): Promise<LeaseJson | undefined>;
  /** Deletes it if its UID is still `uid`; a lease gone (or replaced) is fine. */
  deleteLease(namespace: string, name: string, uid?: string): Promise<void>;
}

/** Where the target's lease is: its pod's namespace, and a name from the pod and container. */
export function leaseOf(target: Target): { namespace: string; name: string } {
  const id = parsePodContainerId(target.id);
  if (id === undefined) throw new Error(`leaseOf: ${target.id} is not a pod's container`);
  // A "." between them, which a container's name cannot hold: pod a-b's c and pod a's b-c differ.
  const plain = `sidekick-inject-lock-${id.pod}.${id.container}`;
  if (plain.length <= NAME_MAX) return { namespace: id.namespace, name: plain };
  const digest = createHash('sha256').update(`${id.pod}/${id.container}`).digest('hex').slice(0, 16);
  return { namespace: id.namespace, name: `${plain.slice(0, NAME_MAX - 17).replace(/[-.]+$/, '')}-${digest}` };
}

export function leaseBody(target: Target, record: Record<string, string>, holder: string): LeaseJson & { apiVersion: string; kind: string } {
  const { namespace, name } = leaseOf(target);
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name, namespace, labels: { ...MANAGED_BY }, annotations: { ...record } },
    spec: { holderIdentity: holder },
  };
}

export function leaseLocks(api: LeaseApi, context: { contextName: string }): TargetLockCapability {
  return {
    async createTargetLock(target, record) {
      const { namespace } = leaseOf(target);
      return api.createLease(namespace, leaseBody(target, record, record[LABEL_LOCK_HOLDER] ?? 'sidekick'));
    },
    async findTargetLock(target) {
      const { namespace, name } = leaseOf(target);
      const lease = await api.readLease(namespace, name);
      const uid = lease?.metadata?.uid;
      return lease === undefined || uid === undefined ? undefined : { id: uid, record: lease.metadata?.annotations ?? {} };
    },
    async removeTargetLock(target, id) {
      const { namespace, name } = leaseOf(target);
      await api.deleteLease(namespace, name, id);
    },
    removeTargetLockCommand(target) {
      const { namespace, name } = leaseOf(target);
      return ['kubectl', '--context', context.contextName, '-n', namespace, 'delete', 'lease', name].map(shellWord).join(' ');
    },
  };
}
