import { describe, expect, it } from 'vitest';
import { chooseEngine, chooseListingEngine, connectEngine, sameEngineFlags } from './engine-from-flags.js';

describe('chooseEngine', () => {
  it('takes Kubernetes for a pod target in any of kubectl\'s spellings, with its flags', () => {
    for (const target of ['pod/web', 'pods/web/app', 'po/web']) {
      expect(chooseEngine(target, {}), target).toEqual({ kind: 'kubernetes', flags: {} });
    }
    expect(chooseEngine('pod/web', { namespace: 'shop', kubeconfig: '/k', context: 'prod' })).toEqual({
      kind: 'kubernetes',
      flags: { namespace: 'shop', kubeconfig: '/k', context: 'prod' },
    });
  });

  it('run as kubectl sidekick, takes Kubernetes for every target, a bare name being a pod\'s', () => {
    expect(chooseEngine('web', { podsByDefault: true, namespace: 'shop' })).toEqual({ kind: 'kubernetes', flags: { namespace: 'shop' }, bareNamesArePods: true });
    expect(chooseEngine(undefined, { podsByDefault: true })).toEqual({ kind: 'kubernetes', flags: {}, bareNamesArePods: true });
  });

  it('keeps Docker for anything else, --context being the docker context', () => {
    expect(chooseEngine('web', { context: 'remote' })).toEqual({ kind: 'docker' });
    expect(chooseEngine('podman/web', {})).toEqual({ kind: 'docker' });
    expect(chooseEngine(undefined, {})).toEqual({ kind: 'docker' });
  });

  it('refuses a flag of the other engine rather than drop it', () => {
    expect(() => chooseEngine('web', { namespace: 'shop' })).toThrow(/-n\/--namespace apply to Kubernetes pods, and web is not one/);
    expect(() => chooseEngine('web', { kubeconfig: '/k' })).toThrow(/--kubeconfig apply to Kubernetes pods/);
    expect(() => chooseEngine(undefined, { namespace: 'shop' })).toThrow(/this command names none/);
    expect(() => chooseEngine('pod/web', { host: 'tcp://h:2375' })).toThrow(/-H\/--host names a Docker engine; pod\/web is a Kubernetes pod/);
    expect(() => chooseEngine('pod/web', { context: ['a', 'b'] })).toThrow(/a pod target takes one kubeconfig context/);
    expect(() => chooseEngine('pod/web', { context: ['a', 'b'] })).toThrow(expect.objectContaining({ code: 'BAD_USAGE' }));
  });
});

describe('connectEngine (the Docker engine of commands without a pod target)', () => {
  it('refuses the flags of pod targets, and a run as kubectl sidekick, before it connects', () => {
    expect(() => connectEngine({ namespace: 'shop' })).toThrow(/-n\/--namespace apply to Kubernetes pods, and this command names none/);
    expect(() => connectEngine({ podsByDefault: true })).toThrow(/not yet through kubectl sidekick/);
  });
});

describe('chooseListingEngine (sessions, prune)', () => {
  it('looks at the cluster when -n or --kubeconfig is given, or run as kubectl sidekick; --context is then the kubeconfig\'s', () => {
    expect(chooseListingEngine({ namespace: 'shop' })).toEqual({ kind: 'kubernetes', flags: { namespace: 'shop' } });
    expect(chooseListingEngine({ kubeconfig: '/k', context: 'prod' })).toEqual({ kind: 'kubernetes', flags: { kubeconfig: '/k', context: 'prod' } });
    expect(chooseListingEngine({ podsByDefault: true })).toEqual({ kind: 'kubernetes', flags: {} });
  });

  it('keeps Docker otherwise, --context being the docker context', () => {
    expect(chooseListingEngine({})).toEqual({ kind: 'docker' });
    expect(chooseListingEngine({ context: 'remote' })).toEqual({ kind: 'docker' });
  });

  it('refuses -H beside the flags of a cluster', () => {
    expect(() => chooseListingEngine({ host: 'tcp://h:2375', namespace: 'shop' })).toThrow(/give one or the other/);
    expect(() => chooseListingEngine({ host: 'tcp://h:2375' }, { allNamespaces: true })).toThrow(/-A\/--all-namespaces a cluster: give one or the other/);
  });

  it('looks at the cluster with -A, which -n would contradict', () => {
    expect(chooseListingEngine({}, { allNamespaces: true })).toEqual({ kind: 'kubernetes', flags: {} });
    expect(chooseListingEngine({ kubeconfig: '/k' }, { allNamespaces: true })).toEqual({ kind: 'kubernetes', flags: { kubeconfig: '/k' } });
    expect(() => chooseListingEngine({ namespace: 'shop' }, { allNamespaces: true })).toThrow(/-n names one \(shop\)/);
  });
});

describe('sameEngineFlags', () => {
  it('repeats what chose the engine, for a hint to run against the same one', () => {
    expect(sameEngineFlags({})).toEqual([]);
    expect(sameEngineFlags({ host: 'ssh://me@box', debug: true })).toEqual(['-H', 'ssh://me@box']);
    expect(sameEngineFlags({ kubeconfig: '/k', context: ['prod'], namespace: 'shop' })).toEqual(['--context', 'prod', '--kubeconfig', '/k', '-n', 'shop']);
  });
});
