import { describe, expect, it } from 'vitest';
import { SidekickError } from '../core/errors.js';
import { formatError } from './report-error.js';

describe('formatError', () => {
  it('prints what happened and what to do, with the error’s status', () => {
    const error = new SidekickError('TARGET_NOT_FOUND', 'no container named "x".', { hint: 'List containers with `docker ps -a`.' });
    expect(formatError(error, false)).toEqual({ text: 'sidekick: no container named "x".\nList containers with `docker ps -a`.\n', exitCode: 125 });
  });

  it('escapes what a target chose, so that it cannot drive the terminal or add lines', () => {
    const error = new SidekickError('INJECTION_REFUSED', '/.sidekick is a symbolic link (to /x\n\x1b]0;pwned\x07).', { hint: 'Pick another --prefix.' });
    expect(formatError(error, false).text).toBe('sidekick: /.sidekick is a symbolic link (to /x\\n\\x1b]0;pwned\\x07).\nPick another --prefix.\n');
  });

  it('hides stacks of unexpected failures unless --debug', () => {
    const plain = formatError(new Error('boom'), false);
    expect(plain).toEqual({ text: 'sidekick: unexpected failure: boom\nRun again with --debug for details.\n', exitCode: 125 });
    expect(formatError(new Error('boom'), true).text).toMatch(/at .*report-error\.test\.ts/);
  });

  it('escapes what a target chose in the cause stack shown with --debug', () => {
    const cause = new Error('engine said \x1b]0;pwned\x07 \u202ecod');
    const error = new SidekickError('ENGINE_ERROR', 'the engine refused.', { cause });
    const text = formatError(error, true).text;
    expect(text).toContain('engine said \\x1b]0;pwned\\x07 \\u202ecod');
    const raw = (t: string): boolean => ['\x1b', '\x07', '\u202e'].some((c) => t.includes(c));
    expect(raw(text)).toBe(false);
    expect(raw(formatError(cause, true).text)).toBe(false);
  });
});
