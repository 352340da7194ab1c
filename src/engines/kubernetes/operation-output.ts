/**
 * What the pod archive makes of an operation's output (archive-scripts.ts): its stderr kept for a
 * message, and its failure said in the Docker engine's words where the contract needs them.
 */
import { SidekickError, isSidekickError } from '../../core/errors.js';
import { ARCHIVE_PATH_MISSING } from './archive-scripts.js';

/** Bytes of an operation's stderr kept for a message. */
const STDERR_KEPT = 4096;

export function kept(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      if (text.length < STDERR_KEPT) text += chunk.toString('utf8');
    });
    stream.on('end', () => resolve(text));
    stream.on('error', () => resolve(text));
    stream.on('close', () => resolve(text));
  });
}

export function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}

export function operationFailed(status: number, errors: string, what: string): SidekickError {
  // busybox's tar cannot unlink a directory to put a file there: the Docker engine's refusal, in its words.
  const reason = firstLine(errors)
    .replace(/^(tar|stat|sidekick-archive|sidekick-unpack|sh): /, '')
    .replace(/^can't remove old file (.*): Is a directory$/, 'cannot overwrite directory $1 with non-directory');
  if (status === ARCHIVE_PATH_MISSING) return new SidekickError('ENGINE_ERROR', reason === '' ? `${what}: no such file or directory` : reason);
  return new SidekickError('ENGINE_ERROR', `${what}: ${reason === '' ? `exit status ${status}` : reason}`);
}

export function asEngineError(error: unknown, what: string): unknown {
  if (isSidekickError(error)) return error;
  return new SidekickError('ENGINE_ERROR', `${what}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
}
