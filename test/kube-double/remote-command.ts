/**
 * TEST DOUBLE OF THE KUBERNETES CONTROL PLANE ONLY (see README.md): `pods/attach` and
 * `pods/exec` over a WebSocket speaking v5.channel.k8s.io or v4.channel.k8s.io
 * (src/engines/kubernetes/channel-protocol.ts has the wire facts), bridged to Docker's
 * attach and exec streams.
 *
 * What the kubelet does and this copies (kubelet/pkg/cri/streaming/remotecommand/):
 * - the first message is an empty one on the lowest writable channel (websocket.go);
 * - exec ends with a status on channel 3: Success for exit 0, NonZeroExitCode with the
 *   code otherwise (exec.go, ServeExec);
 * - attach ends with Success when the stream ends, whatever the container's exit code,
 *   which clients read from the pod's status (attach.go, ServeAttach); a failure to
 *   attach is an InternalError status;
 * - resizes on channel 4 resize the terminal (here: Docker's resize call);
 * - v5's CLOSE of channel 0 ends stdin (here: the write side of Docker's stream), v4
 *   ends stdin only with the connection.
 */
import type { Socket } from 'node:net';
import {
  CHANNEL,
  ChannelProtocolError,
  ResizeStreamDecoder,
  decodeMessage,
  encodeData,
  encodeStatus,
  type CommandOutcome,
  type StreamProtocol,
} from '../../src/engines/kubernetes/channel-protocol.js';
import { DockerStreamDemuxer, dockerHijack, dockerRequest } from './docker-socket.js';
import type { WebSocketConnection } from './websocket.js';

export interface RemoteCommandRequest {
  kind: 'attach' | 'exec';
  containerId: string;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
  /** exec only. */
  command: string[];
}

interface DockerSide {
  socket: Socket;
  resize(size: { columns: number; rows: number }): Promise<unknown>;
  outcome(): Promise<CommandOutcome>;
}

async function openDocker(request: RemoteCommandRequest): Promise<DockerSide> {
  const streams = `stdin=${request.stdin ? 1 : 0}&stdout=${request.stdout ? 1 : 0}&stderr=${request.stderr ? 1 : 0}`;
  if (request.kind === 'attach') {
    const { socket, head } = await dockerHijack(`/containers/${request.containerId}/attach?stream=1&${streams}`);
    if (head.length > 0) socket.unshift(head);
    return {
      socket,
      resize: (s) => dockerRequest('POST', `/containers/${request.containerId}/resize?h=${s.rows}&w=${s.columns}`),
      outcome: async () => ({ kind: 'exited', exitCode: 0 }),
    };
  }
  const { Id: execId } = (await dockerRequest('POST', `/containers/${request.containerId}/exec`, {
    AttachStdin: request.stdin,
    AttachStdout: request.stdout,
    AttachStderr: request.stderr,
    Tty: request.tty,
    Cmd: request.command,
  })) as { Id: string };
  const { socket, head } = await dockerHijack(`/exec/${execId}/start`, { Detach: false, Tty: request.tty });
  if (head.length > 0) socket.unshift(head);
  return {
    socket,
    resize: (s) => dockerRequest('POST', `/exec/${execId}/resize?h=${s.rows}&w=${s.columns}`),
    outcome: async () => {
      // The stream can end a moment before the engine records the exit code.
      for (let tries = 0; ; tries++) {
        const { ExitCode, Running } = (await dockerRequest('GET', `/exec/${execId}/json`)) as { ExitCode: number | null; Running: boolean };
        if (!Running && ExitCode !== null) return { kind: 'exited', exitCode: ExitCode };
        if (tries >= 100) return { kind: 'failed', message: 'the command did not finish' };
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
  };
}

/** Runs one attach or exec session on an accepted WebSocket until either side ends it. */
export function serveRemoteCommand(conn: WebSocketConnection, protocol: StreamProtocol, request: RemoteCommandRequest): void {
  const resizes = new ResizeStreamDecoder();
  const send = (message: Buffer): void => {
    if (conn.isOpen) conn.sendBinary(message);
  };
  const finish = (outcome: CommandOutcome): void => {
    send(encodeStatus(outcome));
    if (conn.isOpen) conn.close();
  };
  const docker = openDocker(request);
  // Messages that arrive before Docker's stream is open wait for it, in order.
  conn.on('message', (message) => {
    void docker.then((side) => {
      let decoded;
      try {
        decoded = decodeMessage(protocol, message.data);
      } catch (error) {
        if (error instanceof ChannelProtocolError) return finish({ kind: 'failed', message: error.message });
        throw error;
      }
      if (decoded.kind === 'data' && decoded.channel === CHANNEL.stdin) {
        if (request.stdin && decoded.data.length > 0) side.socket.write(decoded.data);
      } else if (decoded.kind === 'resize') {
        for (const size of resizes.push(decoded.data)) side.resize(size).catch(() => undefined);
      } else if (decoded.kind === 'close' && decoded.channel === CHANNEL.stdin) {
        side.socket.end();
      }
    }, () => undefined);
  });
  conn.on('close', () => {
    void docker.then((side) => side.socket.destroy(), () => undefined);
  });
  docker.then(
    (side) => {
      const ready = request.stdout ? CHANNEL.stdout : request.stderr ? CHANNEL.stderr : CHANNEL.error;
      send(Buffer.from([ready]));
      const demux = new DockerStreamDemuxer();
      side.socket.on('data', (chunk: Buffer) => {
        if (request.tty) return send(encodeData(CHANNEL.stdout, chunk));
        for (const { stream, data } of demux.push(chunk)) send(encodeData(stream === 2 ? CHANNEL.stderr : CHANNEL.stdout, data));
      });
      side.socket.on('error', () => undefined);
      side.socket.on('close', () => {
        if (!conn.isOpen) return;
        side.outcome().then(finish, (error: unknown) => finish({ kind: 'failed', message: error instanceof Error ? error.message : String(error) }));
      });
    },
    (error: unknown) => finish({ kind: 'failed', message: `error attaching to container: ${error instanceof Error ? error.message : String(error)}` }),
  );
}
