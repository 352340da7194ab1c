/**
 * An upload with `noOverwriteDirNonDir` into a pod (pinned-upload.ts says why and how it is cut):
 * the tar is read entry by entry and written again as segments, each unpacked by an operation of
 * its own (`pinned`, archive-scripts.ts), one after the other. The first says where the upload's
 * directory really is; every later one must find it there. A segment's tar that fails ends the
 * upload: what came before it is written, as with the Docker engine, nothing after it.
 */
import type { Readable, Writable } from 'node:stream';
import { extract as tarExtract, pack as tarPack, type Header, type Pack } from 'tar-stream';
import { SidekickError } from '../../core/errors.js';
import type { ExitStatus, ProcessHandle } from '../../core/process-handle.js';
import { ArchiveBreakout, breakoutCheck } from './archive-breakout.js';
import type { ArchiveOperation } from './archive-scripts.js';
import { asEngineError, kept, operationFailed } from './operation-output.js';
import { newSegment, placeEntry, segmentFor, UnpinnableEntry, type PinnedPlacement, type PinnedSegment } from './pinned-upload.js';
import type { RawEntryType } from '../../core/archive/tar-filter.js';

/** How long a segment's tar may take to end once its input is cut, before its connection is closed. */
const STDIN_END_GRACE_MS = 5_000;

interface OpenSegment {
  segment: PinnedSegment;
  pack: Pack;
  process: ProcessHandle;
  output: Promise<string>;
  errors: Promise<string>;
  /** Settles when the operation has ended, with its status; never rejects. */
  ended: Promise<ExitStatus | Error>;
}

/** Unpacks `tar` into `directory` through `start`, which runs one operation in the target's root. */
export async function putPinned(start: (operation: ArchiveOperation) => Promise<ProcessHandle>, directory: string, tar: NodeJS.ReadableStream): Promise<void> {
  const check = breakoutCheck(directory);
  const reader = tarExtract();
  const source = tar as Readable;
  let failedInput: Error | undefined;
  source.on('error', (error: Error) => {
    failedInput = error;
    reader.destroy(error);
  });
  source.pipe(reader as unknown as Writable);
  let base = '';
  let open: OpenSegment | undefined;
  try {
    for await (const entry of reader) {
      const header = entry.header;
      check({ name: header.name, type: rawType(header.type), linkname: header.linkname ?? '', size: header.size ?? 0, gnuSparse: false });
      const placement = placeEntry({ name: header.name, type: header.type ?? 'file', linkname: header.linkname });
      if (placement === undefined) {
        (entry as unknown as Readable).resume();
        continue;
      }
      if (open === undefined || segmentFor(open.segment, placement) === undefined) {
        if (open !== undefined) base = await finish(open, directory, base);
        open = await begin(start, directory, base, newSegment(placement));
      }
      await write(open, placedHeader(header, placement), entry as unknown as Readable);
    }
    if (open !== undefined) await finish(open, directory, base);
  } catch (error) {
    if (open !== undefined) {
      const refusedHere = error instanceof ArchiveBreakout || error instanceof UnpinnableEntry;
      if (refusedHere) {
        // Refused before any of its bytes went: the segment's tar ends as a whole one, and what came before stays written.
        open.pack.finalize();
      } else {
        // An end of stdin does not reach every cluster's exec (channel protocol v4 has no close): the connection goes too.
        open.pack.destroy();
        open.process.stdin?.end();
        const process = open.process;
        const detach = setTimeout(() => process.detach(), STDIN_END_GRACE_MS);
        void open.ended.then(() => clearTimeout(detach));
      }
      const ended = await open.ended;
      // The segment's own refusal, when it came first, says more than the write it cut.
      if (failedInput === undefined && !(ended instanceof Error) && ended.code !== 0 && !refusedHere) {
        throw operationFailed(ended.code, await open.errors, `could not write into ${directory}`);
      }
    }
    source.unpipe(reader as unknown as Writable);
    if (failedInput !== undefined) throw failedInput;
    if (error instanceof ArchiveBreakout || error instanceof UnpinnableEntry) throw new SidekickError('ENGINE_ERROR', error.message, { cause: error });
    throw asEngineError(error, `could not write into ${directory}`);
  }
}

async function begin(start: (operation: ArchiveOperation) => Promise<ProcessHandle>, directory: string, base: string, segment: PinnedSegment): Promise<OpenSegment> {
  const process = await start({ op: 'pinned', base: base || directory, relative: segment.directory, checked: segment.checked, expectedBase: base });
  const pack = tarPack();
  const stdin = process.stdin!;
  // A tar that stops reading (a refusal) closes its input: the write fails, the status says why.
  stdin.on('error', () => undefined);
  pack.pipe(stdin);
  const ended = process.exit.then(
    (status) => status,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  return { segment, pack, process, output: kept(process.stdout), errors: kept(process.stderr), ended };
}

/** Ends the segment's tar and waits for its status; returns the directory's real path. */
async function finish(open: OpenSegment, directory: string, base: string): Promise<string> {
  open.pack.finalize();
  const ended = await open.ended;
  if (ended instanceof Error) throw asEngineError(ended, `could not write into ${directory}`);
  if (ended.code !== 0) throw operationFailed(ended.code, await open.errors, `could not write into ${directory}`);
  if (base !== '') return base;
  const said = /^base (.*)$/m.exec(await open.output)?.[1];
  if (said === undefined) throw new SidekickError('ENGINE_ERROR', `could not write into ${directory}: the archive sidekick did not say where it is`);
  return said;
}

/** Writes one entry into the segment's tar, or fails as soon as the segment's operation has ended. */
async function write(open: OpenSegment, header: Header, data: Readable): Promise<void> {
  const written = new Promise<void>((resolve, reject) => {
    const sink = open.pack.entry(header, (error) => (error ? reject(error) : resolve()));
    data.on('error', (error) => sink.destroy(error));
    data.pipe(sink);
  });
  const endedEarly = open.ended.then((status) => {
    throw status instanceof Error ? status : new Error(`the unpacking tar ended (status ${status.code}) before its input did`);
  });
  await Promise.race([written, endedEarly]);
}

function placedHeader(header: Header, placement: PinnedPlacement): Header {
  return { ...header, name: placement.isDirectory ? `${placement.name}/` : placement.name, ...(placement.linkName !== undefined ? { linkname: placement.linkName } : {}), pax: undefined };
}

function rawType(type: Header['type']): RawEntryType {
  switch (type) {
    case 'file':
    case 'contiguous-file':
    case undefined:
      return 'file';
    case 'link':
      return 'hardlink';
    case 'symlink':
      return 'symlink';
    case 'directory':
      return 'directory';
    default:
      return 'other';
  }
}
