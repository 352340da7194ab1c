import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { confirm, pruneAllConsent } from './confirm.js';

async function answer(typed: string | null): Promise<{ yes: boolean; shown: string }> {
  const input = new PassThrough();
  const output = new PassThrough();
  let shown = '';
  output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
  const pending = confirm('Remove 3 objects?', input, output);
  if (typed === null) input.end();
  else input.write(typed);
  return { yes: await pending, shown };
}

describe('confirm', () => {
  it('asks once and takes y or yes, in any case', async () => {
    expect(await answer('y\n')).toEqual({ yes: true, shown: 'Remove 3 objects? [y/N] ' });
    expect((await answer('YES\n')).yes).toBe(true);
    expect((await answer(' Yes \n')).yes).toBe(true);
  });

  it('takes anything else, an empty line and the end of input as no', async () => {
    expect((await answer('n\n')).yes).toBe(false);
    expect((await answer('\n')).yes).toBe(false);
    expect((await answer('yep\n')).yes).toBe(false);
    expect((await answer(null)).yes).toBe(false);
  });
});

describe('pruneAllConsent', () => {
  it('asks before prune --all on a terminal, refuses without one, and -f or --dry-run skip the question', () => {
    expect(pruneAllConsent({ all: true }, true)).toBe('ask');
    expect(pruneAllConsent({ all: true }, false)).toBe('refuse');
    expect(pruneAllConsent({ all: true, force: true }, false)).toBe('proceed');
    expect(pruneAllConsent({ all: true, dryRun: true }, false)).toBe('proceed');
    expect(pruneAllConsent({}, false)).toBe('proceed');
  });
});
