import { describe, expect, it } from 'vitest';
import { networkOwnerContainer } from './pod-port-connections.js';
import type { FullPodJson } from './pod-target.js';

const pod = (containers: string[], running: string[], annotation?: string): FullPodJson => ({
  metadata: { name: 'web', ...(annotation !== undefined ? { annotations: { 'kubectl.kubernetes.io/default-container': annotation } } : {}) },
  spec: { containers: containers.map((name) => ({ name })) },
  status: { containerStatuses: containers.map((name) => ({ name, state: running.includes(name) ? { running: {} } : { waiting: {} } })) },
});

describe('networkOwnerContainer (the container that stands for a pod\'s network in port-forward pod/NAME)', () => {
  it("takes kubectl's default container, or the only one", () => {
    expect(networkOwnerContainer(pod(['app', 'proxy'], ['app', 'proxy'], 'proxy'))).toBe('proxy');
    expect(networkOwnerContainer(pod(['app'], []))).toBe('app');
  });

  it('among several without a default, takes the first that runs rather than refuse: they share one network', () => {
    expect(networkOwnerContainer(pod(['init-like', 'app', 'proxy'], ['app', 'proxy']))).toBe('app');
    expect(networkOwnerContainer(pod(['app', 'proxy'], []))).toBe('app');
  });
});
