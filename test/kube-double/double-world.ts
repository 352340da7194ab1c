/**
 * TEST DOUBLE OF THE KUBERNETES CONTROL PLANE ONLY (see README.md): what an end-to-end case on
 * pods sets up and takes down — one double, a kubeconfig naming it in a temporary directory,
 * and the pods the case made. `close` deletes the pods (the harness checks each container for
 * zombies as it goes), stops the double and removes the directory, whatever failed before.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeKubeconfig } from './kubeconfig.js';
import { createPod, deletePod, type DoublePod, type PodContainerSpec } from './pods.js';
import { startKubeDouble, type KubeDouble } from './server.js';

export class DoubleWorld {
  private double: KubeDouble | undefined;
  private directory: string | undefined;
  private config: string | undefined;
  private readonly pods: DoublePod[] = [];

  /** `prefix` names the temporary directory (`sidekick-kube-…`), for a person looking at /tmp. */
  constructor(private readonly prefix: string) {}

  /** Starts the double on first use; the kubeconfig's path. */
  async kubeconfig(): Promise<string> {
    if (this.config !== undefined) return this.config;
    this.double = await startKubeDouble();
    this.directory = await mkdtemp(join(tmpdir(), `${this.prefix}-`));
    this.config = await writeKubeconfig(this.double, join(this.directory, 'config'));
    return this.config;
  }

  /** The temporary directory (the double started if it was not). */
  async dir(): Promise<string> {
    await this.kubeconfig();
    return this.directory!;
  }

  /** A pod in namespace `default` (or the one named), deleted by `close`. */
  async pod(name: string, containers: PodContainerSpec[], options: { shareProcessNamespace?: boolean; namespace?: string } = {}): Promise<DoublePod> {
    const { namespace = 'default', ...podOptions } = options;
    const pod = await createPod(namespace, name, containers, podOptions);
    this.pods.push(pod);
    return pod;
  }

  /** Leaves a pod to the case (it deleted it itself). */
  forget(pod: DoublePod): void {
    const index = this.pods.indexOf(pod);
    if (index >= 0) this.pods.splice(index, 1);
  }

  /** The leases the double holds now (sidekick's injection locks). */
  leases(): Array<{ namespace: string; name: string; annotations: Record<string, string> }> {
    return this.double?.leases() ?? [];
  }

  /** Deletes the pods and stops the double; fails when a lease was left (a lock never released is a trace). */
  async close(): Promise<void> {
    const left = this.leases();
    try {
      for (const pod of this.pods.splice(0)) await deletePod(pod.namespace, pod.name);
    } finally {
      await this.double?.close();
      this.double = undefined;
      this.config = undefined;
      if (this.directory !== undefined) await rm(this.directory, { recursive: true, force: true });
      this.directory = undefined;
    }
    if (left.length > 0) throw new Error(`leases left in the double: ${left.map((lease) => `${lease.namespace}/${lease.name}`).join(', ')}`);
  }
}
