/**
 * The command line's pod cases (test/kube-suite/cli-cases.ts, which also run against a real
 * cluster) through the control-plane double (test/kube-double/README.md: a test double of the
 * control plane only, backed by real Docker containers). The double pulls nothing, so the
 * toolbox is the locally built one, named as a cluster without Docker Hub names it
 * (SIDEKICK_KUBE_TOOLBOX). Here the originals are also checked through Docker: same process,
 * same filesystem, no zombie added.
 */
import { describe, inject } from 'vitest';
import { loadKubeContext, type KubeContext } from '../../src/engines/kubernetes/kube-config.js';
import { docker, lines } from '../fixtures/docker-cli.js';
import { DoubleWorld } from '../kube-double/double-world.js';
import { deletePod, type DoublePod } from '../kube-double/pods.js';
import { POD_LABEL } from '../kube-double/pod-view.js';
import { defaultToolboxImage } from '../kube-double/test-client.js';
import { kubernetesCliCases } from '../kube-suite/cli-cases.js';
import { expectUntouched, snapshotTarget } from './harness.js';

describe('the command line on pod targets: shared cases (through the control-plane double)', () => {
  const world = new DoubleWorld('sidekick-kube-cli-cases');
  const made = new Map<string, DoublePod>();

  kubernetesCliCases({
    async cli() {
      return { args: ['--kubeconfig', await world.kubeconfig()], env: { SIDEKICK_KUBE_TOOLBOX: await defaultToolboxImage() } };
    },
    async kube(): Promise<KubeContext> {
      return loadKubeContext({ kubeconfig: await world.kubeconfig() }, {});
    },
    async createPod(name) {
      const { scratchServer } = inject('fixtures');
      made.set(name, await world.pod(name, [{ name: 'app', image: scratchServer }]));
    },
    async deletePod(name) {
      const pod = made.get(name);
      if (pod !== undefined) world.forget(pod);
      await deletePod('default', name);
    },
    async untouched(name) {
      const id = made.get(name)!.containers.get('app')!;
      const before = await snapshotTarget(id);
      return () => expectUntouched(before, id);
    },
    rootEntry: 'server',
    serverCommand: /server/,
    async leftovers() {
      // A copy's emptyDir is a Docker volume of the double's, removed with its pod.
      return lines(await docker(['volume', 'ls', '-q', '--filter', `label=${POD_LABEL}`])).filter((v) => v.endsWith('-sidekick-tools'));
    },
    async cleanup() {
      made.clear();
      await world.close();
    },
  });
});
