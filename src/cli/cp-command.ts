import { SidekickError } from '../core/errors.js';
import { parseContainerPath } from '../debug/container-path.js';
import { copyFromTarget, copyToTarget, CopyInterrupted } from '../debug/cp/copy-files.js';
import { SIGNAL_STATUS } from './deferred-signals.js';
import { connectEngineFor, type GlobalFlags } from './engine-from-flags.js';
import { progressLine } from './progress-line.js';

export async function runCp(source: string, destination: string, global: GlobalFlags): Promise<number> {
  // An empty argument is never "here": `cp T:/etc ''` once copied into the current directory.
  if (source === '' || destination === '') {
    throw new SidekickError('BAD_USAGE', `the ${source === '' ? 'source' : 'destination'} is empty.`, { hint: 'Usage: sidekick cp TARGET:PATH DEST|-   or   sidekick cp SRC|- TARGET:PATH' });
  }
  const from = source === '-' ? undefined : parseContainerPath(source);
  const to = destination === '-' ? undefined : parseContainerPath(destination);
  if (from && to) {
    throw new SidekickError('BAD_USAGE', 'copying from one container to another is not supported.', { hint: 'Copy to a local directory first, then from it.' });
  }
  if (!from && !to) {
    throw new SidekickError('BAD_USAGE', `neither ${JSON.stringify(source)} nor ${JSON.stringify(destination)} is TARGET:PATH.`, { hint: 'Usage: sidekick cp TARGET:PATH DEST|-   or   sidekick cp SRC|- TARGET:PATH' });
  }
  if (source === '-' && destination === '-') {
    throw new SidekickError('BAD_USAGE', '"-" can be the source or the destination, not both.', { hint: 'Name a container path on one side.' });
  }
  const emptyPath = [source, destination].find((argument) => /^[^/.][^:]*:$/.test(argument));
  if (emptyPath !== undefined) {
    throw new SidekickError('BAD_USAGE', `${JSON.stringify(emptyPath)} names no path in the container.`, { hint: `Write ${emptyPath}/ for its root.` });
  }
  // A signal removes what the copy wrote so far before the CLI exits (docs/RELIABILITY.md, "cp").
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (abort.signal.aborted) return;
    abort.abort(signal);
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, onSignal);
  const engine = await connectEngineFor((from ?? to)?.target, global);
  // Bytes and rate on a terminal's stderr: a large file can take minutes.
  const progress = progressLine();
  progress.step(`copying ${source === '-' ? 'stdin' : source} to ${destination === '-' ? 'stdout' : destination}`);
  const counting = process.stderr.isTTY === true ? { onBytes: (total: number): void => progress.bytes(total) } : {};
  try {
    if (from) await copyFromTarget(engine, from, destination, process.stdout, { signal: abort.signal, ...counting });
    else await copyToTarget(engine, source, to!, process.stdin, { signal: abort.signal, env: process.env, ...counting });
    progress.done();
    if (abort.signal.aborted) {
      process.stderr.write(`sidekick: ${String(abort.signal.reason)} came when the copy was already in place.\n`);
      return SIGNAL_STATUS[String(abort.signal.reason)] ?? 130;
    }
    return 0;
  } catch (error) {
    progress.done();
    if (error instanceof CopyInterrupted) {
      process.stderr.write(`sidekick: interrupted by ${error.signalName}; nothing was copied${destination === '-' ? ' beyond what stdout received' : ''}.\n`);
      return SIGNAL_STATUS[error.signalName] ?? 130;
    }
    // The reader of a tar on stdout went away (`| head`): quietly, with the status of a process killed by SIGPIPE.
    if (destination === '-' && (error as NodeJS.ErrnoException).code === 'EPIPE') return 141;
    throw error;
  } finally {
    progress.done();
    for (const signal of signals) process.off(signal, onSignal);
    engine.close();
  }
}
