import { describe, expect, it } from 'vitest';
import { splitReference } from './docker-engine.js';

describe('splitReference', () => {
  it('splits name and tag the way the engine expects them', () => {
    expect(splitReference('busybox:musl')).toEqual({ name: 'busybox', tag: 'musl' });
    expect(splitReference('registry:5000/team/tool')).toEqual({ name: 'registry:5000/team/tool', tag: 'latest' });
    expect(splitReference('registry:5000/tool:1.2')).toEqual({ name: 'registry:5000/tool', tag: '1.2' });
    expect(splitReference('tool@sha256:abc')).toEqual({ name: 'tool', tag: 'sha256:abc' });
  });
});
