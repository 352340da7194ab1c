import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LEASE_SIGNAL } from '../core/lease.js';
import type { ProcessHandle, SignalableProcess } from '../core/process-handle.js';
import { renewLease } from './lease.js';

function process_(signal?: (name: string) => Promise<void>): ProcessHandle {
  return {
    stdin: null,
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    exit: new Promise(() => undefined),
    resize: async () => undefined,
    detach: () => undefined,
    ...(signal ? { signal } : {}),
  };
}

describe('renewLease', () => {
  afterEach(() => vi.useRealTimers());

  it('signals the process once a second until stopped', async () => {
    vi.useFakeTimers();
    const sent: string[] = [];
    const stop = renewLease(process_(async (name) => void sent.push(name)) as SignalableProcess);
    await vi.advanceTimersByTimeAsync(3_500);
    stop();
    await vi.advanceTimersByTimeAsync(3_000);
    expect(sent).toEqual([LEASE_SIGNAL, LEASE_SIGNAL, LEASE_SIGNAL]);
  });

  it('takes only a process the engine can signal (a lease over an exec could never be renewed)', () => {
    const exec = process_();
    // @ts-expect-error an exec's handle may have no signal: the lease needs one
    expect(() => renewLease(exec)()).not.toThrow();
  });
});
