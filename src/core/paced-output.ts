import type { Writable } from 'node:stream';

/**
 * Passes a process's output on at its reader's pace: while any output stream is full, the
 * connection it comes from is paused, and resumed once every full one has drained. One pending
 * wait per stream, however many chunks arrive while it is full. Shared by the engines' process
 * handles (docs/ARCHITECTURE.md, "Layers": engines do not import each other).
 */
export function pacedOutput(source: { pause(): unknown; resume(): unknown }): (into: Writable, chunk: Buffer) => void {
  const waitingFor = new Set<Writable>();
  return (into, chunk) => {
    if (into.write(chunk) || waitingFor.has(into)) return;
    waitingFor.add(into);
    source.pause();
    into.once('drain', () => {
      waitingFor.delete(into);
      if (waitingFor.size === 0) source.resume();
    });
  };
}
