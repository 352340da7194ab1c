import { SidekickError } from '../core/errors.js';
import { parseContainerPath } from '../debug/container-path.js';
import { copyFromTarget, copyToTarget } from '../debug/copy.js';
import { connectEngine, type GlobalFlags } from './engine-from-flags.js';

export async function runCp(source: string, destination: string, global: GlobalFlags): Promise<number> {
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
  const { engine } = connectEngine(global);
  try {
    if (from) await copyFromTarget(engine, from, destination, process.stdout);
    else await copyToTarget(engine, source, to!, process.stdin);
    return 0;
  } catch (error) {
    // The reader of a tar on stdout went away (`| head`): quietly, with the status of a process killed by SIGPIPE.
    if (destination === '-' && (error as NodeJS.ErrnoException).code === 'EPIPE') return 141;
    throw error;
  } finally {
    engine.close();
  }
}
