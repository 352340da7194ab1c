import { listProcesses } from '../debug/list-processes.js';
import { connectEngine, type GlobalFlags } from './engine-from-flags.js';
import { formatPs } from './format-ps.js';

export async function runPs(target: string, flags: { json?: boolean; showSecrets?: boolean }, global: GlobalFlags): Promise<number> {
  const { engine } = connectEngine(global);
  try {
    const listing = await listProcesses(engine, target, process.env, { showSecrets: flags.showSecrets ?? false });
    process.stdout.write(flags.json ? `${JSON.stringify(listing, null, 2)}\n` : formatPs(listing.processes));
    return 0;
  } finally {
    engine.close();
  }
}
