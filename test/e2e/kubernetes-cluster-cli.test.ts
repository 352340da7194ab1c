/**
 * The command line's pod cases (test/kube-suite/cli-cases.ts) against a REAL cluster, run only
 * when KUBECONFIG is set (skipped otherwise; no cluster can be installed on the machines this
 * project is built on, so this is how anyone with one checks what the control-plane double
 * cannot). The CLI finds the cluster from KUBECONFIG as kubectl does, with the context
 * SIDEKICK_TEST_KUBE_CONTEXT and the namespace SIDEKICK_TEST_KUBE_NAMESPACE when set. Test pods
 * are named sidekick-test-* and run busybox's httpd from SIDEKICK_TEST_KUBE_IMAGE (default
 * busybox:1.36); the toolbox is the CLI's default (busybox from Docker Hub) unless
 * SIDEKICK_KUBE_TOOLBOX names another. Needs permission to create, get, list and delete pods,
 * patch pods/ephemeralcontainers, and create pods/exec and pods/attach in that namespace.
 */
import { CoreV1Api } from '@kubernetes/client-node';
import { describe, expect } from 'vitest';
import { loadKubeContext, type KubeContext } from '../../src/engines/kubernetes/kube-config.js';
import { kubernetesCliCases } from '../kube-suite/cli-cases.js';

const configured = (process.env.KUBECONFIG ?? '') !== '';
const image = process.env.SIDEKICK_TEST_KUBE_IMAGE ?? 'busybox:1.36';
const contextFlag = process.env.SIDEKICK_TEST_KUBE_CONTEXT;
const namespaceFlag = process.env.SIDEKICK_TEST_KUBE_NAMESPACE;

describe.skipIf(!configured)('the command line on pod targets: shared cases (a real cluster, from KUBECONFIG)', () => {
  let context: KubeContext | undefined;
  const kube = (): KubeContext =>
    (context ??= loadKubeContext({ ...(contextFlag ? { context: contextFlag } : {}), ...(namespaceFlag ? { namespace: namespaceFlag } : {}) }, process.env));
  const core = () => kube().config.makeApiClient(CoreV1Api);
  const containerOf = async (name: string) => (await core().readNamespacedPod({ name, namespace: kube().namespace })).status?.containerStatuses?.find((s) => s.name === 'app');

  kubernetesCliCases({
    async cli() {
      return { args: [...(contextFlag ? ['--context', contextFlag] : []), '-n', kube().namespace], env: {} };
    },
    kube: async () => kube(),
    async createPod(name) {
      await core().createNamespacedPod({
        namespace: kube().namespace,
        body: {
          metadata: { name, labels: { 'io.sidekick.test': '1' } },
          spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'app', image, command: ['httpd', '-f', '-p', '8080'] }] },
        },
      });
      for (const deadline = Date.now() + 120_000; (await containerOf(name))?.state?.running === undefined; ) {
        if (Date.now() > deadline) throw new Error(`pod ${name} did not run within 120 s`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    },
    async deletePod(name) {
      await core().deleteNamespacedPod({ name, namespace: kube().namespace, gracePeriodSeconds: 0 }).catch(() => undefined);
    },
    async untouched(name) {
      const before = await containerOf(name);
      // The same container (its runtime ID), never restarted: a sidekick must not have touched it.
      return async () => {
        const after = await containerOf(name);
        expect({ id: after?.containerID, restarts: after?.restartCount }).toEqual({ id: before?.containerID, restarts: before?.restartCount });
      };
    },
    rootEntry: 'bin',
    serverCommand: /httpd -f/,
    leftovers: async () => [],
    cleanup: async () => undefined,
  });
});
