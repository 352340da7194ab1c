import type { Socket } from 'node:net';
import { PassThrough, type Writable } from 'node:stream';
import { MuxDecoder } from '../../core/mux-stream.js';
import { pacedOutput } from '../../core/paced-output.js';
import type { ExitStatus, ProcessHandle, SignalableProcess } from '../../core/process-handle.js';

export interface AttachedProcessParts {
  socket: Socket;
  tty: boolean;
  openStdin: boolean;
  /**
   * Settles with the status once the engine reports the process ended. Given as a
   * function, it is asked only after the output has ended (execs have no wait call).
   */
  waitForExit: Promise<ExitStatus> | (() => Promise<ExitStatus>);
  resize: (cols: number, rows: number) => Promise<void>;
  /** How the engine signals the process; left out where it cannot (an exec), and then so is the handle's. */
  signal?: (signal: string) => Promise<void>;
}


/**
 * Turns a hijacked attach connection into a ProcessHandle: demultiplexes stdout and
 * stderr (without a TTY), respects backpressure of whoever reads them, half-closes the
 * connection when stdin ends (so the process sees EOF), and settles `exit` only after
 * both the engine has reported the exit and every byte of output has been passed on.
 */
export function attachedProcess(parts: AttachedProcessParts & Pick<SignalableProcess, 'signal'>): SignalableProcess;
export function attachedProcess(parts: AttachedProcessParts): ProcessHandle;
export function attachedProcess(parts: AttachedProcessParts): ProcessHandle {
  const { socket } = parts;
  const stdout = new PassThrough({ highWaterMark: 1 << 20 });
  const stderr = new PassThrough();

  const forward = pacedOutput(socket);

  const outputDone = new Promise<void>((resolve) => {
    let settled = false;
    const finish = (): void => {
      if (settled) return;
      settled = true;
      stdout.end();
      stderr.end();
      resolve();
    };
    socket.once('end', finish);
    socket.once('close', finish);
    // A reset after the process ended is not the process's failure; the exit status says how it went.
    socket.on('error', finish);
  });

  if (parts.tty) {
    socket.on('data', (chunk: Buffer) => forward(stdout, chunk));
  } else {
    const decoder = new MuxDecoder();
    socket.on('data', (chunk: Buffer) => {
      let frames;
      try {
        frames = decoder.push(chunk);
      } catch (error) {
        stderr.write(`sidekick: ${(error as Error).message}\n`);
        socket.destroy();
        return;
      }
      for (const frame of frames) forward(frame.stream === 2 ? stderr : stdout, frame.payload);
    });
  }


  let stdin: Writable | null = null;
  if (parts.openStdin) {
    const input = new PassThrough();
    input.on('data', (chunk: Buffer) => {
      if (!socket.writable) return;
      if (!socket.write(chunk)) {
        input.pause();
        socket.once('drain', () => input.resume());
      }
    });
    input.on('end', () => {
      if (socket.writable) socket.end();
    });
    stdin = input;
  }
  // Without stdin the write side stays open: a proxy between us and the engine (tcp://,
  // ssh://) that does not keep half-open connections would end our output with it.

  const { waitForExit } = parts;
  const exitStatus = typeof waitForExit === 'function' ? outputDone.then(waitForExit) : waitForExit;
  const exit = Promise.all([exitStatus, outputDone]).then(([status]) => {
    socket.destroy();
    return status;
  });

  const handle: ProcessHandle = { stdin, stdout, stderr, exit, resize: parts.resize, detach: () => socket.destroy() };
  return parts.signal === undefined ? handle : { ...handle, signal: parts.signal };
}
