/**
 * The command line's pod cases (test/kube-suite/cli-cases.ts, which also run against a real
 * cluster) through the control-plane double (test/kube-double/README.md: a test double of the
 * control plane only, backed by real Docker containers). The double pulls nothing, so the
 * toolbox is the locally built one, named as a cluster without Docker Hub names it
 * (SIDEKICK_KUBE_TOOLBOX). Here the originals are also checked through Docker: same process,
 * same filesystem, no zombie added.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, inject } from 'vitest';
import { loadKubeContext, type KubeContext } from '../../src/engines/kubernetes/kube-config.js';
import { docker, lines } from '../fixtures/docker-cli.js';
import { writeKubeconfig } from '../kube-double/kubeconfig.js';
import { createPod, deletePod, type DoublePod } from '../kube-double/pods.js';
import { POD_LABEL } from '../kube-double/pod-view.js';
import { startKubeDouble, type KubeDouble } from '../kube-double/server.js';
import { defaultToolboxImage } from '../kube-double/test-client.js';
import { kubernetesCliCases } from '../kube-suite/cli-cases.js';
import { expectUntouched, snapshotTarget } from './harness.js';

describe('the command line on pod targets: shared cases (through the control-plane double)', () => {
  let double: KubeDouble | undefined;
  let dir: string | undefined;
  let kubeconfig: string | undefined;
  const made = new Map<string, DoublePod>();

  async function started(): Promise<string> {
    if (kubeconfig !== undefined) return kubeconfig;
    double = await startKubeDouble();
    dir = await mkdtemp(join(tmpdir(), 'sidekick-kube-cli-cases-'));
    kubeconfig = await writeKubeconfig(double, join(dir, 'config'));
    return kubeconfig;
  }

  kubernetesCliCases({
    async cli() {
      return { args: ['--kubeconfig', await started()], env: { SIDEKICK_KUBE_TOOLBOX: await defaultToolboxImage() } };
    },
    async kube(): Promise<KubeContext> {
      return loadKubeContext({ kubeconfig: await started() }, {});
    },
    async createPod(name) {
      const { scratchServer } = inject('fixtures');
      made.set(name, await createPod('default', name, [{ name: 'app', image: scratchServer }]));
    },
    deletePod: (name) => deletePod('default', name),
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
      await double?.close();
      double = undefined;
      kubeconfig = undefined;
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    },
  });
});
