/**
 * The Kubernetes engine's `portConnections` capability (docs/ARCHITECTURE.md, "Kubernetes
 * engine"): each connection is a port-forward WebSocket of the pod (port-connection.ts).
 * Nothing is added to the pod: the kubelet dials the port from inside the pod's network
 * namespace, so a port bound to the pod's loopback is reached. The API carries TCP only.
 */
import type { PortConnection, PortConnectionCapability } from '../engine.js';
import type { KubeApi } from './kube-api.js';
import { portConnectionOver } from './port-connection.js';
import { PORT_FORWARD_PROTOCOL, portForwardPath } from './port-forward-protocol.js';

export class PodPortConnections implements PortConnectionCapability {
  readonly protocols = ['tcp'] as const;

  constructor(
    private readonly api: KubeApi,
    /** The namespace and pod of a container ID the engine gave. */
    private readonly podOf: (containerId: string) => { namespace: string; pod: string },
  ) {}

  async connectToPort(containerId: string, port: number): Promise<PortConnection> {
    const { namespace, pod } = this.podOf(containerId);
    // Paused until the connection listens: the port announcements may come with the handshake.
    const { socket } = await this.api.openChannel(portForwardPath(namespace, pod, [port]), [PORT_FORWARD_PROTOCOL], { paused: true });
    const connection = portConnectionOver(socket, port);
    socket.resume();
    return connection;
  }
}
