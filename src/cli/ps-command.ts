import { listProcesses } from '../debug/list-processes.js';
import { connectEngineFor, type GlobalFlags } from './engine-from-flags.js';
import { formatPs } from './format-ps.js';
import { parseFormat, renderRows } from './output-format.js';

export interface PsFlags {
  json?: boolean;
  showSecrets?: boolean;
  /** table (default), json (a line per process) or a template (output-format.ts). */
  format?: string;
  /** -q: the PIDs only. */
  quiet?: boolean;
}

export async function runPs(target: string, flags: PsFlags, global: GlobalFlags): Promise<number> {
  const format = parseFormat(flags.format);
  const engine = await connectEngineFor(target, global);
  try {
    const listing = await listProcesses(engine, target, process.env, { showSecrets: flags.showSecrets ?? false });
    if (flags.json) process.stdout.write(`${JSON.stringify(listing, null, 2)}\n`);
    else if (flags.quiet) process.stdout.write(listing.processes.map((row) => `${row.pid}\n`).join(''));
    else if (format.kind !== 'table') process.stdout.write(renderRows(format, listing.processes));
    else process.stdout.write(formatPs(listing.processes));
    return 0;
  } finally {
    engine.close();
  }
}
