import { requireContainerPath } from '../debug/container-path.js';
import { listDirectory } from '../debug/list-dir.js';
import { connectEngine, type GlobalFlags } from './engine-from-flags.js';
import { formatLs } from './format-ls.js';

export async function runLs(location: string, flags: { json?: boolean }, global: GlobalFlags): Promise<number> {
  const { target, path } = requireContainerPath(location, 'ls needs TARGET:PATH;');
  const { engine } = connectEngine(global);
  try {
    const listing = await listDirectory(engine, target, path);
    process.stdout.write(flags.json ? `${JSON.stringify(listing, null, 2)}\n` : formatLs(listing.entries));
    return 0;
  } finally {
    engine.close();
  }
}
