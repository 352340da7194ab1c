/**
 * Where `sidekick capture -w` puts the pcap on this machine: stdout (`-w -`) or a file the user
 * named. The file is opened when the first byte comes (a capture that fails to start leaves an
 * existing file as it was) and written as the bytes come, never through a temporary file: a
 * capture cut short keeps what it had. It is synced and closed at the end, whatever the end.
 */
import { constants } from 'node:fs';
import { access, open, stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { SidekickError } from '../core/errors.js';

export interface CaptureSink {
  /** Where the bytes go; backpressure is honoured. */
  stream: Writable;
  /** Settles once every byte written has reached the file (synced) or stdout. */
  finish(): Promise<void>;
  /** Bytes written so far. */
  bytes(): number;
}

/** Refuses, before anything starts, a destination that cannot take the capture. */
export async function checkDestination(path: string): Promise<void> {
  if (path === '-') {
    if (process.stdout.isTTY === true) {
      throw new SidekickError('BAD_USAGE', '-w - writes binary pcap to stdout, which is a terminal here.', {
        hint: 'Pipe it (sidekick capture T -w - | wireshark -k -i -) or redirect it to a file; without -w the packets are shown as text.',
      });
    }
    return;
  }
  const full = resolve(path);
  const existing = await stat(full).catch(() => undefined);
  if (existing?.isDirectory()) {
    throw new SidekickError('BAD_USAGE', `-w ${path} is a directory; the capture goes into a file.`, { hint: `Name a file, e.g. -w ${path.replace(/\/+$/, '')}/capture.pcap` });
  }
  const checked = existing === undefined ? dirname(full) : full;
  try {
    await access(checked, constants.W_OK);
  } catch {
    throw new SidekickError('BAD_USAGE', `-w ${path}: ${existing === undefined ? `cannot create a file in ${dirname(full)}` : 'the file is not writable'}.`, {
      hint: 'Name a file in a directory that exists and that you may write to.',
    });
  }
}

export function captureSink(path: string): CaptureSink {
  if (path === '-') return stdoutSink();
  return fileSink(resolve(path));
}

function stdoutSink(): CaptureSink {
  let written = 0;
  const out = process.stdout;
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      written += chunk.length;
      if (out.write(chunk)) callback();
      else out.once('drain', () => callback());
    },
  });
  return {
    stream,
    bytes: () => written,
    // An empty write's callback runs once everything written before it has been handed on.
    finish: () => new Promise((done) => (out.writable ? out.write('', () => done()) : done())),
  };
}

function fileSink(path: string): CaptureSink {
  let handle: Promise<FileHandle> | undefined;
  let written = 0;
  let pending: Promise<unknown> = Promise.resolve();
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      // Truncated only now: a capture that never started leaves an existing file alone.
      handle ??= open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o644);
      const step = handle.then(async (file) => {
        let offset = 0;
        while (offset < chunk.length) offset += (await file.write(chunk, offset, chunk.length - offset)).bytesWritten;
        written += chunk.length;
      });
      pending = step.catch(() => undefined);
      step.then(() => callback(), (error: Error) => callback(error));
    },
  });
  return {
    stream,
    bytes: () => written,
    async finish() {
      await pending;
      if (handle === undefined) return;
      const file = await handle;
      try {
        await file.sync();
      } finally {
        await file.close();
      }
    },
  };
}
