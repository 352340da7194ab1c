import { describe, expect, it } from 'vitest';
import { namespaceSharing, type ContainerModes } from './namespace-sharing.js';

function container(id: string, name: string, modes: Partial<ContainerModes['namespaceModes']> = {}, labels: Record<string, string> = {}): ContainerModes {
  return { id, name, labels, namespaceModes: { network: 'bridge', pid: '', ipc: 'private', uts: '', cgroup: '', user: '', ...modes } };
}

describe('namespaceSharing', () => {
  const target = container('t1', 'app', { ipc: 'shareable' });
  const sidekick = container('s1', 'sk', { network: 'container:t1', pid: 'container:t1' }, { 'io.sidekick.kind': 'sidekick' });
  const byName = container('b1', 'byname', { network: 'container:app' });
  const chained = container('c1', 'chained', { network: 'container:b1', ipc: 'container:app' });
  const hostNet = container('h1', 'hostnet', { network: 'host' });
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
    const sharing = namespaceSharing('h1', [hostNet, container('h2', 'also', { network: 'host' })]);
    expect(sharing.get('net')).toEqual({ host: true, sharedWith: [{ id: 'h2', name: 'also' }] });
    expect(sharing.get('pid')?.host).toBe(false);
  });
});
