import { describe, expect, it } from 'vitest';
import { privateNamespaces } from '../core/namespace-mode.js';
import { namespaceSharing, type ContainerModes } from './namespace-sharing.js';

function container(id: string, name: string, modes: Partial<ContainerModes['namespaceModes']> = {}, labels: Record<string, string> = {}): ContainerModes {
  return { id, name, labels, namespaceModes: { ...privateNamespaces(), network: { kind: 'named', name: 'bridge' }, ...modes } };
}

const joined = (reference: string) => ({ kind: 'container', reference }) as const;
const HOST = { kind: 'host' } as const;

describe('namespaceSharing', () => {
  const target = container('t1', 'app', { ipc: { kind: 'shareable' } });
  const sidekick = container('s1', 'sk', { network: joined('t1'), pid: joined('t1') }, { 'io.sidekick.kind': 'sidekick' });
  const byName = container('b1', 'byname', { network: joined('app') });
  const chained = container('c1', 'chained', { network: joined('b1'), ipc: joined('app') });
  const hostNet = container('h1', 'hostnet', { network: HOST });
  const unrelated = container('u1', 'other');

  it('finds joiners by id, by name and through chains, and marks sidekicks', () => {
    const sharing = namespaceSharing('t1', [target, sidekick, byName, chained, hostNet, unrelated]);
    expect(sharing.get('net')).toEqual({
      host: false,
      sharedWith: [
        { id: 'b1', name: 'byname' },
        { id: 'c1', name: 'chained' },
        { id: 's1', name: 'sk', sidekickKind: 'sidekick' },
      ],
    });
    expect(sharing.get('pid')?.sharedWith.map((p) => p.id)).toEqual(['s1']);
    expect(sharing.get('ipc')?.sharedWith.map((p) => p.id)).toEqual(['c1']);
  });

  it('sees the target from the joiner side and leaves out ignored containers', () => {
    const sharing = namespaceSharing('s1', [target, sidekick, byName], new Set(['b1']));
    expect(sharing.get('net')?.sharedWith.map((p) => p.id)).toEqual(['t1']);
  });

  it('says when a namespace is the host one', () => {
    const sharing = namespaceSharing('h1', [hostNet, container('h2', 'also', { network: HOST })]);
    expect(sharing.get('net')).toEqual({ host: true, sharedWith: [{ id: 'h2', name: 'also' }] });
    expect(sharing.get('pid')?.host).toBe(false);
  });

  it("puts a pod's containers together, whichever container the engine names", () => {
    const pod = { kind: 'pod', pod: 'shop-0' } as const;
    const app = container('p1', 'app', { network: pod, ipc: pod });
    const side = container('p2', 'side', { network: pod, ipc: pod, pid: pod });
    const elsewhere = container('p3', 'other-pod', { network: { kind: 'pod', pod: 'shop-1' } });
    const sharing = namespaceSharing('p1', [app, side, elsewhere]);
    expect(sharing.get('net')?.sharedWith.map((p) => p.id)).toEqual(['p2']);
    expect(sharing.get('ipc')?.sharedWith.map((p) => p.id)).toEqual(['p2']);
    expect(sharing.get('pid')?.sharedWith).toEqual([]);
  });
});
