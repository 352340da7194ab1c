import { describe, expect, it } from 'vitest';
import { cgroupLimits } from './cgroup-limits.js';

describe('cgroupLimits', () => {
  it('reads cgroup v2 files', () => {
    const files = new Map([
      ['memory.max', '67108864'],
      ['memory.current', '1048576'],
      ['cpu.max', '50000 100000'],
      ['cpu.stat', 'usage_usec 2500000\nuser_usec 1\n'],
      ['pids.max', 'max'],
      ['pids.current', '3'],
    ]);
    expect(cgroupLimits(2, files)).toEqual({
      source: 'cgroup v2',
      memory: { limitBytes: 67108864, usageBytes: 1048576 },
      cpu: { limitCpus: 0.5, usageSeconds: 2.5 },
      pids: { limit: null, current: 3 },
    });
    expect(cgroupLimits(2, new Map([['cpu.max', 'max 100000']])).cpu.limitCpus).toBeNull();
  });

  it('reads cgroup v1 files, where unlimited is a huge number or -1', () => {
    const files = new Map([
      ['memory/memory.limit_in_bytes', '9223372036854771712'],
      ['memory/memory.usage_in_bytes', '4096'],
      ['cpu/cpu.cfs_quota_us', '-1'],
      ['cpu/cpu.cfs_period_us', '100000'],
      ['cpuacct/cpuacct.usage', '1500000000'],
      ['pids/pids.max', '100'],
      ['pids/pids.current', '1'],
    ]);
    expect(cgroupLimits(1, files)).toEqual({
      source: 'cgroup v1',
      memory: { limitBytes: null, usageBytes: 4096 },
      cpu: { limitCpus: null, usageSeconds: 1.5 },
      pids: { limit: 100, current: 1 },
    });
  });

  it('says unknown without files', () => {
    expect(cgroupLimits(undefined, new Map()).source).toBe('unknown');
  });
});
