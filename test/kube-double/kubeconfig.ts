/**
 * TEST DOUBLE OF THE KUBERNETES CONTROL PLANE ONLY (see README.md): a kubeconfig file
 * pointing at a running double, so that the engine is tested through its real
 * kubeconfig loading. Written as JSON, which is YAML too (kubectl and client libraries
 * read kubeconfig files with a YAML parser), with one cluster, one user holding the
 * double's bearer token, and one context, current (the v1 Config shape of
 * client-go/tools/clientcmd/api/v1/types.go).
 */
import { writeFile } from 'node:fs/promises';
import type { KubeDouble } from './server.js';

export const KUBECONFIG_CONTEXT = 'kube-double';

export function kubeconfigFor(double: KubeDouble, namespace = 'default'): object {
  return {
    apiVersion: 'v1',
    kind: 'Config',
    // Plain HTTP: client libraries send credentials over it only when told TLS is not checked.
    clusters: [{ name: 'kube-double', cluster: { server: double.url, 'insecure-skip-tls-verify': true } }],
    users: [{ name: 'kube-double-user', user: { token: double.token } }],
    contexts: [{ name: KUBECONFIG_CONTEXT, context: { cluster: 'kube-double', user: 'kube-double-user', namespace } }],
    'current-context': KUBECONFIG_CONTEXT,
    preferences: {},
  };
}

/** Writes the kubeconfig (mode 0600: it holds a token) and returns its path. */
export async function writeKubeconfig(double: KubeDouble, path: string, namespace = 'default'): Promise<string> {
  await writeFile(path, `${JSON.stringify(kubeconfigFor(double, namespace), null, 2)}\n`, { mode: 0o600 });
  return path;
}
