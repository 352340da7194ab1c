import { describe, expect, it } from 'vitest';
import type { ContainerSummary } from '../../core/target.js';
import { matchContainers } from './match-containers.js';

const container = (id: string, name: string): ContainerSummary => ({ id, names: [name], image: 'x', status: 'running', labels: {} });

describe('matchContainers', () => {
  const all = [container('abc123', 'web'), container('abd456', 'db'), container('fff000', 'abc')];

  it('prefers an exact name over an ID prefix', () => {
    expect(matchContainers(all, 'abc').map((c) => c.names[0])).toEqual(['abc']);
  });

  it('returns every ID with the prefix, so that ambiguity can be reported', () => {
    expect(matchContainers(all, 'ab').map((c) => c.id)).toEqual(['abc123', 'abd456']);
    expect(matchContainers(all, 'ABD').map((c) => c.id)).toEqual(['abd456']);
  });

  it('matches nothing for a non-hex reference that is no name', () => {
    expect(matchContainers(all, 'zz')).toEqual([]);
  });
});
