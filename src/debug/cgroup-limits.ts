/** Memory, CPU and pids limits with current usage, from the cgroup files a dump read (v1 or v2). */
export interface CgroupLimits {
  source: 'cgroup v1' | 'cgroup v2' | 'unknown';
  memory: { limitBytes: number | null; usageBytes: number | null };
  /** limitCpus: quota / period (1.5 = one and a half CPUs); null when unlimited or unknown. */
  cpu: { limitCpus: number | null; usageSeconds: number | null };
  pids: { limit: number | null; current: number | null };
}

// cgroup v1 says "no limit" with the largest page-aligned value, around 2^63.
const V1_UNLIMITED = 2 ** 62;

function integer(text: string | undefined): number | null {
  if (text === undefined || !/^-?\d+$/.test(text.trim())) return null;
  return Number(text.trim());
}

export function cgroupLimits(version: 1 | 2 | undefined, files: ReadonlyMap<string, string>): CgroupLimits {
  if (version === 2) {
    const [quota, period] = (files.get('cpu.max') ?? '').split(/\s+/);
    const quotaNumber = integer(quota);
    const periodNumber = integer(period);
    const usage = /^usage_usec (\d+)$/m.exec(files.get('cpu.stat') ?? '');
    return {
      source: 'cgroup v2',
      memory: { limitBytes: integer(files.get('memory.max')), usageBytes: integer(files.get('memory.current')) },
      cpu: {
        limitCpus: quotaNumber !== null && periodNumber !== null && periodNumber > 0 ? quotaNumber / periodNumber : null,
        usageSeconds: usage ? Number(usage[1]) / 1e6 : null,
      },
      pids: { limit: integer(files.get('pids.max')), current: integer(files.get('pids.current')) },
    };
  }
  if (version === 1) {
    const memoryLimit = integer(files.get('memory/memory.limit_in_bytes'));
    const quota = integer(files.get('cpu/cpu.cfs_quota_us'));
    const period = integer(files.get('cpu/cpu.cfs_period_us'));
    const usageNs = integer(files.get('cpuacct/cpuacct.usage'));
    return {
      source: 'cgroup v1',
      memory: {
        limitBytes: memoryLimit !== null && memoryLimit < V1_UNLIMITED ? memoryLimit : null,
        usageBytes: integer(files.get('memory/memory.usage_in_bytes')),
      },
      cpu: {
        limitCpus: quota !== null && quota > 0 && period !== null && period > 0 ? quota / period : null,
        usageSeconds: usageNs === null ? null : usageNs / 1e9,
      },
      pids: { limit: integer(files.get('pids/pids.max')), current: integer(files.get('pids/pids.current')) },
    };
  }
  return { source: 'unknown', memory: { limitBytes: null, usageBytes: null }, cpu: { limitCpus: null, usageSeconds: null }, pids: { limit: null, current: null } };
}
