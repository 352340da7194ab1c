import { describe, expect, it } from 'vitest';
import type { Target } from '../../core/target.js';
import { leaseBody, leaseOf, leaseSummary, parseLeaseId } from './lease-locks.js';

const target = (id: string): Target => ({ id }) as Target;

describe('the injection lock as a Lease', () => {
  it('is named after the pod and container, which two targets never share', () => {
    expect(leaseOf(target('shop/web-7d9f/app'))).toEqual({ namespace: 'shop', name: 'sidekick-inject-lock-web-7d9f.app' });
    // A container's name holds no ".": pod a-b's container c and pod a's container b-c differ.
    expect(leaseOf(target('ns/a-b/c')).name).not.toBe(leaseOf(target('ns/a/b-c')).name);
  });

  it('stays a valid object name (a DNS subdomain of at most 253) for the longest pod names, distinct by a digest', () => {
    const long = `p${'x'.repeat(250)}`;
    const first = leaseOf(target(`ns/${long}/app`)).name;
    const second = leaseOf(target(`ns/${long}/web`)).name;
    for (const name of [first, second]) {
      expect(name.length).toBeLessThanOrEqual(253);
      expect(name).toMatch(/^[a-z0-9](?:[-.a-z0-9]*[a-z0-9])?$/);
    }
    expect(first).not.toBe(second);
  });

  it('carries the record as annotations, the holder as holderIdentity, and sidekick\'s label', () => {
    // coordination/v1 types.go LeaseSpec.HolderIdentity; the recommended label app.kubernetes.io/managed-by.
    expect(leaseBody(target('ns/web/app'), { 'io.sidekick.lock.holder': 'host:42' }, 'host:42')).toEqual({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'sidekick-inject-lock-web.app', namespace: 'ns', labels: { 'app.kubernetes.io/managed-by': 'sidekick' }, annotations: { 'io.sidekick.lock.holder': 'host:42' } },
      spec: { holderIdentity: 'host:42' },
    });
  });

  it('is listed as a never-started object whose ID names it, and no other ID is taken for one', () => {
    const summary = leaseSummary({ metadata: { name: 'sidekick-inject-lock-web.app', namespace: 'ns', annotations: { 'io.sidekick.kind': 'lock' } } });
    expect(summary).toEqual({ id: 'lease:ns/sidekick-inject-lock-web.app', names: ['lease/sidekick-inject-lock-web.app'], image: '', status: 'created', labels: { 'io.sidekick.kind': 'lock' }, labelsSetOnObject: true });
    expect(parseLeaseId(summary!.id)).toEqual({ namespace: 'ns', name: 'sidekick-inject-lock-web.app' });
    expect(parseLeaseId('ns/web/app')).toBeUndefined();
    expect(parseLeaseId('lease:ns')).toBeUndefined();
  });
});
