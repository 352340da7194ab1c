/**
 * The Kubernetes engine's end-to-end cases (test/kube-suite/engine-cases.ts) against a REAL
 * cluster, run only when KUBECONFIG is set (skipped otherwise; no cluster can be installed on
 * the machines this project is built on, so this is how anyone with one checks what the
 * control-plane double cannot). It uses the kubeconfig's current context, or
 * SIDEKICK_TEST_KUBE_CONTEXT, and namespace, or SIDEKICK_TEST_KUBE_NAMESPACE; it creates pods
 * named sidekick-test-* from SIDEKICK_TEST_KUBE_IMAGE (default busybox:1.36, which the
 * cluster must be able to pull) and deletes them after each case. It needs permission to
 * create, get, list and delete pods, patch pods/ephemeralcontainers, and create pods/exec
 * and pods/attach in that namespace.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { describe } from 'vitest';
import { loadKubeContext, type KubeContext } from '../../src/engines/kubernetes/kube-config.js';
import { KubernetesEngine } from '../../src/engines/kubernetes/kubernetes-engine.js';
import { kubernetesEngineCases } from '../kube-suite/engine-cases.js';

const configured = (process.env.KUBECONFIG ?? '') !== '';
const image = process.env.SIDEKICK_TEST_KUBE_IMAGE ?? 'busybox:1.36';

describe.skipIf(!configured)('Kubernetes engine (a real cluster, from KUBECONFIG)', () => {
  let context: KubeContext | undefined;
  const kube = (): KubeContext =>
    (context ??= loadKubeContext(
      {
        ...(process.env.SIDEKICK_TEST_KUBE_CONTEXT ? { context: process.env.SIDEKICK_TEST_KUBE_CONTEXT } : {}),
        ...(process.env.SIDEKICK_TEST_KUBE_NAMESPACE ? { namespace: process.env.SIDEKICK_TEST_KUBE_NAMESPACE } : {}),
      },
      process.env,
    ));
  const core = () => kube().config.makeApiClient(CoreV1Api);

  kubernetesEngineCases({
    namespace: () => kube().namespace,
    // busybox's httpd as the server to debug, so that PID 1's command line is known.
    serverCommand: /httpd -f/,
    toolboxImage: async () => image,
    async createPod(name, containers) {
      await core().createNamespacedPod({
        namespace: kube().namespace,
        body: {
          metadata: { name, labels: { 'io.sidekick.test': '1' } },
          spec: {
            terminationGracePeriodSeconds: 1,
            containers: containers.map((c) => ({
              name: c.name,
              image,
              command: c.role === 'server' ? ['httpd', '-f', '-p', '8080'] : ['sleep', '3600'],
            })),
          },
        },
      });
      for (const deadline = Date.now() + 120_000; ; ) {
        const pod = await core().readNamespacedPod({ name, namespace: kube().namespace });
        const statuses = pod.status?.containerStatuses ?? [];
        if (statuses.length === containers.length && statuses.every((s) => s.state?.running !== undefined)) return;
        if (Date.now() > deadline) throw new Error(`pod ${name} did not run within 120 s: ${JSON.stringify(pod.status)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    },
    async deletePod(name) {
      await core().deleteNamespacedPod({ name, namespace: kube().namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
    },
    engine: async () => new KubernetesEngine(kube()),
    cleanup: async () => undefined,
  });
});
