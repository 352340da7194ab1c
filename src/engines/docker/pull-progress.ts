/**
 * The progress stream of POST /images/create (a pull or an import): one JSON object a line,
 * which may end with an error although the answer's status was 200.
 */
import type { ProgressEvent } from '../engine.js';
import { EngineHttpError } from './docker-api.js';
import type { WireProgressLine } from './wire-types.js';

/**
 * Reads the stream to its end, handing each status line on; an error the engine reported in
 * it is thrown at the end as the engine's answer (engine-errors.ts says what it means).
 */
export async function drainProgress(response: NodeJS.ReadableStream, onProgress: (event: ProgressEvent) => void): Promise<void> {
  let buffered = '';
  let failure: string | undefined;
  for await (const chunk of response) {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      const event = parseLine(line);
      if (event === undefined) continue;
      if (event.error || event.errorDetail) failure = event.errorDetail?.message ?? event.error;
      else if (event.status) onProgress({ status: event.status, ...(event.id ? { id: event.id } : {}), ...(event.progress ? { progress: event.progress } : {}) });
    }
  }
  if (failure !== undefined) throw new EngineHttpError(200, failure);
}

function parseLine(line: string): WireProgressLine | undefined {
  if (line === '') return undefined;
  try {
    return JSON.parse(line) as WireProgressLine;
  } catch {
    return undefined;
  }
}

/** The name and tag (or digest) the engine's pull takes as separate parameters. */
export function splitReference(reference: string): { name: string; tag: string } {
  const at = reference.indexOf('@');
  if (at >= 0) return { name: reference.slice(0, at), tag: reference.slice(at + 1) };
  const slash = reference.lastIndexOf('/');
  const colon = reference.lastIndexOf(':');
  if (colon > slash) return { name: reference.slice(0, colon), tag: reference.slice(colon + 1) };
  return { name: reference, tag: 'latest' };
}
