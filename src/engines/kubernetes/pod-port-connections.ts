/**
 * The Kubernetes engine's `portConnections` capability (docs/ARCHITECTURE.md, "Kubernetes
 * engine"): each connection is a port-forward WebSocket of the pod (port-connection.ts).
 * Nothing is added to the pod: the kubelet dials the port from inside the pod's network
 * namespace, so a port bound to the pod's loopback is reached. The API carries TCP only.
 */
import type { Target } from '../../core/target.js';
import type { PortConnection, PortConnectionCapability } from '../engine.js';
import type { KubeApi } from './kube-api.js';
import { defaultContainer, podTarget, type FullPodJson } from './pod-target.js';
import { portConnectionOver } from './port-connection.js';
import { PORT_FORWARD_PROTOCOL, portForwardPath } from './port-forward-protocol.js';

export class PodPortConnections implements PortConnectionCapability {
  readonly protocols = ['tcp'] as const;

  constructor(
    private readonly api: KubeApi,
    /** The namespace, pod and container a reference or container ID names. */
    private readonly locate: (reference: string) => { namespace: string; pod: string; container?: string },
    /** The engine's own lookup, with its words for a pod that is not there. */
    private readonly findContainer: (reference: string) => Promise<Target>,
  ) {}

  async connectToPort(containerId: string, port: number): Promise<PortConnection> {
    const { namespace, pod } = this.locate(containerId);
    // Paused until the connection listens: the port announcements may come with the handshake.
    const { socket } = await this.api.openChannel(portForwardPath(namespace, pod, [port]), [PORT_FORWARD_PROTOCOL], { paused: true });
    const connection = portConnectionOver(socket, port);
    socket.resume();
    return connection;
  }

  /** `pod/NAME` names the pod's network whatever its containers: one of them stands for it. */
  async findNetworkOwner(reference: string): Promise<Target> {
    const { namespace, pod, container } = this.locate(reference);
    if (container !== undefined) return this.findContainer(reference);
    const json = (await this.api.readPod(namespace, pod)) as FullPodJson | undefined;
    if (json === undefined) return this.findContainer(reference);
    return podTarget(json, networkOwnerContainer(json));
  }
}

/**
 * The container that stands for a pod's network: kubectl's default (annotation, or the only
 * one), else the first that runs, else the first. Pure.
 */
export function networkOwnerContainer(pod: FullPodJson): string {
  try {
    return defaultContainer(pod);
  } catch {
    const names = (pod.spec?.containers ?? []).map((c) => c.name);
    const running = new Set((pod.status?.containerStatuses ?? []).filter((s) => s.state?.running !== undefined).map((s) => s.name));
    return names.find((name) => running.has(name)) ?? names[0] ?? '';
  }
}
