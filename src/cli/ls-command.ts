import { requireContainerPath } from '../debug/container-path.js';
import { listDirectory } from '../debug/list-dir.js';
import { connectEngineFor, type GlobalFlags } from './engine-from-flags.js';
import { formatLs, formatLsDirectories } from './format-ls.js';
import { terminalSafe } from './terminal-safe.js';

export interface LsFlags {
  json?: boolean;
  recursive?: boolean;
  human?: boolean;
}

/** A stopped target's listing streams its whole subtree: said once it passes this much. */
const SLOW_ARCHIVE_BYTES = 64 * 1024 * 1024;

export async function runLs(location: string, flags: LsFlags, global: GlobalFlags): Promise<number> {
  const { target, path } = requireContainerPath(location, 'ls needs TARGET:PATH;');
  const engine = await connectEngineFor(target, global);
  let warned = false;
  try {
    const listing = await listDirectory(engine, target, path, {
      recursive: flags.recursive ?? false,
      onArchiveBytes: (bytes) => {
        if (warned || bytes < SLOW_ARCHIVE_BYTES) return;
        warned = true;
        process.stderr.write(
          `sidekick: ${terminalSafe(target)} is not running: its listing streams everything under ${terminalSafe(path)} through the engine (${bytes >> 20} MiB so far). Start it for a listing that reads only the directory, or list a smaller one.\n`,
        );
      },
    });
    for (const directory of listing.unreadable ?? []) process.stderr.write(`sidekick: cannot read ${terminalSafe(directory)}\n`);
    const format = { human: flags.human ?? false };
    process.stdout.write(
      flags.json
        ? `${JSON.stringify(listing, null, 2)}\n`
        : listing.directories
          ? formatLsDirectories(listing.directories, format)
          : formatLs(listing.entries, format),
    );
    return 0;
  } finally {
    engine.close();
  }
}
