/**
 * TEST DOUBLE OF THE KUBERNETES CONTROL PLANE ONLY (see README.md): `pods/portforward`
 * over a WebSocket speaking v4.channel.k8s.io (src/engines/kubernetes/
 * port-forward-protocol.ts has the wire facts).
 *
 * A kubelet connects to localhost:PORT inside the pod's network namespace (the CRI
 * PortForward call; containerd dials 127.0.0.1 in the sandbox's netns), so a port bound
 * only to the pod's loopback is reachable. The double does the same: per requested port
 * it runs busybox `nc 127.0.0.1 PORT` in the pause container through a Docker exec and
 * carries the bytes both ways; a host-side connection to the pod's IP would miss such
 * ports. Each port's data and error channels open with the port number
 * (kubelet/pkg/cri/streaming/portforward/websocket.go); a failed connection is reported
 * as text on the error channel in the kubelet's words; the WebSocket closes when every
 * port's connection has ended. When the WebSocket closes first, the connection in the pod is
 * ended (its `nc` killed), as a kubelet closes its connection to the port when the stream ends.
 */
import type { Socket } from 'node:net';
import {
  dataChannel,
  decodeClientMessage,
  encodePortAnnouncement,
  encodeServerMessage,
  errorChannel,
  PortForwardProtocolError,
} from '../../src/engines/kubernetes/port-forward-protocol.js';
import { DockerStreamDemuxer, dockerHijack, dockerRequest } from './docker-socket.js';
import type { WebSocketConnection } from './websocket.js';

export interface PortForwardTarget {
  podName: string;
  podUid: string;
  /** The container owning the pod's network namespace (the pause container; it has busybox). */
  pauseId: string;
}

/** The line the connection's shell writes on stderr first: the PID that becomes nc, for `kill`. */
const PID_LINE = /^sidekick-double-nc-pid (\d+)\n/;

async function openConnection(pauseId: string, port: number): Promise<{ socket: Socket; exitCode(): Promise<number | null> }> {
  const { Id: execId } = (await dockerRequest('POST', `/containers/${pauseId}/exec`, {
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
    Cmd: ['/busybox', 'sh', '-c', 'echo "sidekick-double-nc-pid $$" >&2; exec /busybox nc 127.0.0.1 "$1"', 'sh', String(port)],
  })) as { Id: string };
  const { socket, head } = await dockerHijack(`/exec/${execId}/start`, { Detach: false, Tty: false });
  if (head.length > 0) socket.unshift(head);
  return {
    socket,
    exitCode: async () => {
      for (let tries = 0; tries < 100; tries++) {
        const { ExitCode, Running } = (await dockerRequest('GET', `/exec/${execId}/json`)) as { ExitCode: number | null; Running: boolean };
        if (!Running) return ExitCode;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      return null;
    },
  };
}

export function servePortForward(conn: WebSocketConnection, target: PortForwardTarget, ports: number[]): void {
  const send = (message: Buffer): void => {
    if (conn.isOpen) conn.sendBinary(message);
  };
  let open = ports.length;
  const ended = (): void => {
    open--;
    if (open === 0 && conn.isOpen) conn.close();
  };
  const fail = (index: number, port: number, why: string): void => {
    // The kubelet's wording (portforward/websocket.go, portForward).
    send(encodeServerMessage(errorChannel(index), `error forwarding port ${port} to pod ${target.podName}, uid ${target.podUid}: ${why}`));
  };
  const connections = ports.map((port, index) => {
    send(encodePortAnnouncement(dataChannel(index), port));
    send(encodePortAnnouncement(errorChannel(index), port));
    const opened = openConnection(target.pauseId, port);
    opened.then(
      ({ socket, exitCode }) => {
        const demux = new DockerStreamDemuxer();
        let stderr = '';
        let pid: number | undefined;
        let streamClosed = !conn.isOpen;
        // The stream ended before the connection: it is closed in the pod, not left to the port.
        // Docker keeps an exec running when its attach goes, so nc is killed by its PID; the
        // attach is kept until the PID line came (Docker may pass stdout before stderr).
        const closeInPod = (): void => {
          if (!streamClosed || pid === undefined) return;
          void killInPause(target.pauseId, pid)
            .catch(() => undefined)
            .finally(() => socket.destroy());
        };
        socket.on('data', (chunk: Buffer) => {
          for (const { stream, data } of demux.push(chunk)) {
            if (stream === 1) send(encodeServerMessage(dataChannel(index), data));
            else {
              stderr += data.toString('utf8');
              const said = PID_LINE.exec(stderr);
              if (pid === undefined && said) {
                pid = Number(said[1]);
                stderr = stderr.slice(said[0].length);
                closeInPod();
              }
            }
          }
        });
        socket.on('error', () => undefined);
        conn.on('close', () => {
          streamClosed = true;
          closeInPod();
        });
        socket.on('close', () => {
          void exitCode()
            .then((code) => {
              if (code !== 0 && conn.isOpen) fail(index, port, stderr.trim() || `the connection to 127.0.0.1:${port} failed`);
            })
            .catch(() => undefined)
            .finally(ended);
        });
      },
      (error: unknown) => {
        fail(index, port, error instanceof Error ? error.message : String(error));
        ended();
      },
    );
    return opened;
  });
  conn.on('message', (message) => {
    let decoded;
    try {
      decoded = decodeClientMessage(message.data, ports.length);
    } catch (error) {
      if (!(error instanceof PortForwardProtocolError)) throw error;
      if (conn.isOpen) conn.close(1002, error.message.slice(0, 120));
      return;
    }
    // In order: each write waits for the same connection, so earlier messages go first.
    void connections[decoded.portIndex]?.then(({ socket }) => socket.write(decoded.data), () => undefined);
  });
}

/** Ends a connection's nc from inside the pause container (the exec API has no kill). */
async function killInPause(pauseId: string, pid: number): Promise<void> {
  const { Id: execId } = (await dockerRequest('POST', `/containers/${pauseId}/exec`, { AttachStdout: false, AttachStderr: false, Cmd: ['/busybox', 'sh', '-c', 'grep -q nc "/proc/$1/cmdline" 2>/dev/null && kill -KILL "$1"', 'sh', String(pid)] })) as { Id: string };
  await dockerRequest('POST', `/exec/${execId}/start`, { Detach: true });
}
