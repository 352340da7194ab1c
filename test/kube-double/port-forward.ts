/**
 * TEST DOUBLE OF THE KUBERNETES CONTROL PLANE ONLY (see README.md): `pods/portforward`
 * over a WebSocket speaking v4.channel.k8s.io (src/engines/kubernetes/
 * port-forward-protocol.ts has the wire facts), one TCP connection from the host to the
 * pod's IP per requested port, as the kubelet opens one inside the pod's network
 * namespace (kubelet/pkg/cri/streaming/portforward/websocket.go). Each port's data and
 * error channels open with the port number; a failed connection is reported as text on
 * the error channel; the WebSocket closes when every port's connection has ended.
 */
import { connect, type Socket } from 'node:net';
import {
  dataChannel,
  decodeClientMessage,
  encodePortAnnouncement,
  encodeServerMessage,
  errorChannel,
  PortForwardProtocolError,
} from '../../src/engines/kubernetes/port-forward-protocol.js';
import type { WebSocketConnection } from './websocket.js';

export function servePortForward(conn: WebSocketConnection, podName: string, podUid: string, podIp: string, ports: number[]): void {
  const send = (message: Buffer): void => {
    if (conn.isOpen) conn.sendBinary(message);
  };
  let open = ports.length;
  const ended = (): void => {
    open--;
    if (open === 0 && conn.isOpen) conn.close();
  };
  const sockets: Socket[] = ports.map((port, index) => {
    send(encodePortAnnouncement(dataChannel(index), port));
    send(encodePortAnnouncement(errorChannel(index), port));
    const socket = connect({ host: podIp, port });
    let done = false;
    const end = (): void => {
      if (done) return;
      done = true;
      ended();
    };
    socket.on('data', (chunk: Buffer) => send(encodeServerMessage(dataChannel(index), chunk)));
    socket.on('error', (error) => {
      // The kubelet's wording (portforward/websocket.go, portForward).
      send(encodeServerMessage(errorChannel(index), `error forwarding port ${port} to pod ${podName}, uid ${podUid}: ${error.message}`));
      end();
    });
    socket.on('close', end);
    return socket;
  });
  conn.on('message', (message) => {
    try {
      const decoded = decodeClientMessage(message.data, ports.length);
      sockets[decoded.portIndex]?.write(decoded.data);
    } catch (error) {
      if (!(error instanceof PortForwardProtocolError)) throw error;
      if (conn.isOpen) conn.close(1002, error.message.slice(0, 120));
    }
  });
  conn.on('close', () => {
    for (const socket of sockets) socket.destroy();
  });
}
