import { describe, expect, it } from 'vitest';
import { copyLabels, copyMounts, envValue, mergeEnv, planNetwork } from './copy-spec.js';

describe('copyMounts', () => {
  const mounts = [
    { type: 'volume', source: 'data', destination: '/data', readOnly: false },
    { type: 'bind', source: '/srv/conf', destination: '/conf', readOnly: true },
    { type: 'tmpfs', source: 'tmpfs', destination: '/tmp', readOnly: false },
    { type: 'npipe', source: 'x', destination: '/x', readOnly: false },
  ];

  it('makes volumes and binds read-only, and gives a fresh tmpfs', () => {
    expect(copyMounts(mounts, false)).toEqual([
      { type: 'volume', source: 'data', destination: '/data', readOnly: true },
      { type: 'bind', source: '/srv/conf', destination: '/conf', readOnly: true },
      { type: 'tmpfs', source: '', destination: '/tmp', readOnly: false },
    ]);
  });

  it('keeps what the original had read-only read-only even with --rw-volumes', () => {
    expect(copyMounts(mounts, true).map((m) => m.readOnly)).toEqual([false, true, false]);
  });
});

describe('planNetwork', () => {
  const named = (name: string) => ({ kind: 'named', name }) as const;

  it('joins the same networks, the primary by mode and the rest after', () => {
    expect(planNetwork(named('app'), ['app', 'db'])).toEqual({ kind: 'same', mode: named('app'), extra: ['db'] });
    expect(planNetwork(named('default'), ['bridge'])).toEqual({ kind: 'same', mode: named('default'), extra: [] });
    expect(planNetwork({ kind: 'host' }, ['host'])).toEqual({ kind: 'same', mode: { kind: 'host' }, extra: [] });
    expect(planNetwork({ kind: 'private' }, ['none'])).toEqual({ kind: 'same', mode: { kind: 'private' }, extra: [] });
  });

  it("gives no network for a pod's: the copy is not in the pod", () => {
    expect(planNetwork({ kind: 'pod', pod: 'shop-0' }, [])).toEqual({ kind: 'same', mode: { kind: 'private' }, extra: [] });
  });

  it('names the container whose network namespace the original shares', () => {
    expect(planNetwork({ kind: 'container', reference: 'abc' }, [])).toEqual({ kind: 'container', reference: 'abc' });
  });
});

describe('copyLabels', () => {
  it("blanks orchestrators' labels and adds ours", () => {
    const labels = copyLabels({ 'com.docker.compose.project': 'shop', 'org.opencontainers.image.title': 't' }, { 'io.sidekick.kind': 'copy' });
    expect(labels).toEqual({ 'com.docker.compose.project': '', 'io.sidekick.kind': 'copy' });
  });
});

describe('mergeEnv', () => {
  it('replaces same-named entries and keeps the rest in order', () => {
    expect(mergeEnv(['A=1', 'B=2', 'C'], ['B=3', 'D=4'])).toEqual(['A=1', 'C', 'B=3', 'D=4']);
  });

  it('reads one value', () => {
    expect(envValue(['PS1=x=y', 'A=1'], 'PS1')).toBe('x=y');
    expect(envValue(['A=1'], 'PS1')).toBeUndefined();
  });
});
