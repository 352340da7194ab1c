import { describe, expect, it } from 'vitest';
import { SidekickError } from '../core/errors.js';
import { formatError } from './report-error.js';

describe('formatError', () => {
  it('prints what happened and what to do, with the error’s status', () => {
    const error = new SidekickError('TARGET_NOT_FOUND', 'no container named "x".', { hint: 'List containers with `docker ps -a`.' });
    expect(formatError(error, false)).toEqual({ text: 'sidekick: no container named "x".\nList containers with `docker ps -a`.\n', exitCode: 125 });
  });

  it('hides stacks of unexpected failures unless --debug', () => {
    const plain = formatError(new Error('boom'), false);
    expect(plain).toEqual({ text: 'sidekick: unexpected failure: boom\nRun again with --debug for details.\n', exitCode: 125 });
    expect(formatError(new Error('boom'), true).text).toMatch(/at .*report-error\.test\.ts/);
  });
});
