/**
 * A yes/no question on the terminal, as docker's prune asks it: anything but y or yes (in any
 * case), an empty line or the end of input is no.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';

export function confirm(question: string, input: Readable, output: Writable): Promise<boolean> {
  return new Promise((resolve) => {
    const lines = createInterface({ input, output, terminal: false });
    let answered = false;
    output.write(`${question} [y/N] `);
    lines.once('line', (answer) => {
      answered = true;
      lines.close();
      resolve(/^\s*y(es)?\s*$/i.test(answer));
    });
    lines.once('close', () => {
      if (!answered) resolve(false);
    });
  });
}

/** What `prune --all` may do: go on, ask first, or refuse (no terminal to ask on and no -f). */
export function pruneAllConsent(flags: { all?: boolean; force?: boolean; dryRun?: boolean }, terminal: boolean): 'proceed' | 'ask' | 'refuse' {
  if (!flags.all || flags.force || flags.dryRun) return 'proceed';
  return terminal ? 'ask' : 'refuse';
}
