/**
 * The Kubernetes engine end to end through the control-plane double (test/kube-double/README.md:
 * a test double of the control plane only, backed by real Docker containers). The cases are
 * test/kube-suite/engine-cases.ts, which run against a real cluster too.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, inject } from 'vitest';
import { loadKubeContext } from '../../src/engines/kubernetes/kube-config.js';
import { KubernetesEngine } from '../../src/engines/kubernetes/kubernetes-engine.js';
import { writeKubeconfig } from '../kube-double/kubeconfig.js';
import { createPod, deletePod } from '../kube-double/pods.js';
import { startKubeDouble, type KubeDouble } from '../kube-double/server.js';
import { defaultToolboxImage } from '../kube-double/test-client.js';
import { kubernetesEngineCases } from '../kube-suite/engine-cases.js';

describe('Kubernetes engine (through the control-plane double)', () => {
  let double: KubeDouble | undefined;
  let dir: string | undefined;

  kubernetesEngineCases({
    namespace: () => 'default',
    serverCommand: /server/,
    toolboxImage: defaultToolboxImage,
    async createPod(name, containers) {
      const { scratchServer } = inject('fixtures');
      const toolbox = await defaultToolboxImage();
      await createPod(
        'default',
        name,
        containers.map((c) => (c.role === 'server' ? { name: c.name, image: scratchServer } : { name: c.name, image: toolbox, args: ['sleep', '3600'] })),
      );
    },
    deletePod: (name) => deletePod('default', name),
    async engine() {
      double = await startKubeDouble();
      dir = await mkdtemp(join(tmpdir(), 'sidekick-kube-'));
      const kubeconfig = await writeKubeconfig(double, join(dir, 'config'));
      return new KubernetesEngine(loadKubeContext({ kubeconfig }, {}));
    },
    async cleanup() {
      await double?.close();
      double = undefined;
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
      dir = undefined;
    },
  });
});
