/**
 * A process reached over the exec/attach WebSocket of the Kubernetes API, as the
 * engine-neutral ProcessHandle (docs/ARCHITECTURE.md, "Kubernetes engine"). The framing is
 * channel-protocol.ts's; this module only moves bytes and keeps the handle's promises:
 * output is passed on at the reader's pace, and `exit` settles once the connection has
 * ended and every byte of output was delivered.
 *
 * Facts (client-go tools/remotecommand/websocket.go and the kubelet's
 * cri/streaming/remotecommand): the server writes the command's status on channel 3 and
 * then closes; a connection that ends without a status did not end normally. Only v5 can
 * end stdin alone (a CLOSE of channel 0); on v4 stdin stays open until the connection ends.
 */
import { PassThrough, type Writable } from 'node:stream';
import { pacedOutput } from '../../core/paced-output.js';
import type { ExitStatus, ProcessHandle } from '../../core/process-handle.js';
import { CHANNEL, decodeMessage, encodeClose, encodeData, encodeResize, readStatus, supportsHalfClose, type StreamProtocol } from './channel-protocol.js';

/** What this module needs of a WebSocket (the `ws` package's client has all of it). */
export interface MessageSocket {
  send(data: Buffer, callback: (error?: Error) => void): void;
  close(): void;
  terminate(): void;
  pause(): void;
  resume(): void;
  on(event: 'message', listener: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): unknown;
  /** `code`: the close frame's status, 1006 when the connection ended without one. */
  on(event: 'close', listener: (code: number) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
}

export interface ChannelProcessOptions {
  protocol: StreamProtocol;
  tty: boolean;
  openStdin: boolean;
  /**
   * How the process's exit status is learnt once the connection has ended normally: by
   * default the status the server wrote (exec). Attach reports Success whatever the exit
   * code, so the engine reads the container's state instead.
   */
  exitStatus?: (outcome: ExitStatus) => Promise<ExitStatus>;
  /**
   * The end of stdin is not sent (no v5 CLOSE): a session attached to again keeps its input open
   * for the next client, and a server that ends an attach's output when its input ends (Docker's
   * attach does) would cut what the session still prints.
   */
  keepStdinOpen?: boolean;
  /** Signals are not part of the protocol: the engine adds one where it has its own way. */
}

export class ChannelClosedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelClosedError';
  }
}

export function channelProcess(socket: MessageSocket, options: ChannelProcessOptions): ProcessHandle {
  const stdout = new PassThrough({ highWaterMark: 1 << 20 });
  const stderr = new PassThrough();
  const statusChunks: Buffer[] = [];
  let failure: Error | undefined;

  const forward = pacedOutput(socket);

  socket.on('message', (data, isBinary) => {
    if (!isBinary) return; // Text frames are the older base64 protocols, never negotiated here.
    const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    let message;
    try {
      message = decodeMessage(options.protocol, buffer);
    } catch (error) {
      failure = error as Error;
      socket.terminate();
      return;
    }
    if (message.kind === 'data' && message.channel === CHANNEL.stdout) forward(stdout, message.data);
    else if (message.kind === 'data' && message.channel === CHANNEL.stderr) forward(options.tty ? stdout : stderr, message.data);
    else if (message.kind === 'status') statusChunks.push(Buffer.from(message.data));
    // An empty stdout message first is the server saying it is ready (v5 sends it); resizes and closes from the server carry nothing for us.
  });

  const ended = new Promise<void>((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      stdout.end();
      stderr.end();
      resolve();
    };
    socket.on('close', finish);
    socket.on('error', (error) => {
      failure ??= error;
      finish();
    });
  });
  // Every message was passed on before the close (a paused socket reads no further).
  const exit = ended.then(async () => {
    if (failure !== undefined) throw new ChannelClosedError(`the connection to the process failed: ${failure.message}`);
    if (statusChunks.length === 0) throw new ChannelClosedError('the connection to the process ended without its exit status');
    const outcome = readStatus(Buffer.concat(statusChunks));
    if (outcome.kind === 'failed') throw new ChannelClosedError(outcome.message);
    const status = { code: outcome.exitCode };
    return options.exitStatus ? options.exitStatus(status) : status;
  });

  let stdin: Writable | null = null;
  if (options.openStdin) {
    const input = new PassThrough();
    input.on('data', (chunk: Buffer) => {
      input.pause();
      socket.send(encodeData(CHANNEL.stdin, chunk), () => input.resume());
    });
    input.on('end', () => {
      if (supportsHalfClose(options.protocol) && options.keepStdinOpen !== true) socket.send(encodeClose(options.protocol, CHANNEL.stdin), () => undefined);
    });
    stdin = input;
  }

  return {
    stdin,
    stdout,
    stderr,
    exit,
    resize: (cols, rows) =>
      new Promise<void>((resolve, reject) => {
        socket.send(encodeResize({ columns: cols, rows }), (error) => (error ? reject(error) : resolve()));
      }),
    detach: () => socket.terminate(),
  };
}
