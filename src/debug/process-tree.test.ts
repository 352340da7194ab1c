import { describe, expect, it } from 'vitest';
import { parseAccounts } from './accounts.js';
import type { ProcessSample } from './decode-dump.js';
import { processTree } from './process-tree.js';

function sample(pid: number, ppid: number, extra: Partial<ProcessSample> = {}): ProcessSample {
  return {
    pid,
    stat: { pid, ppid, startTimeTicks: 250n, comm: `p${pid}`, state: { code: 'S', name: 'sleeping' } },
    status: { pid, ppid, name: `p${pid}`, uid: { real: 65532, effective: 65532, savedSet: 65532, filesystem: 65532 }, threads: 1, vmRssBytes: 4096, capabilities: {} },
    cmdline: [`/bin/p${pid}`],
    fdLinks: [],
    mountNamespace: 'mnt:[1]',
    containerId: undefined,
    cgroupRead: false,
    ...extra,
  };
}

describe('processTree', () => {
  const accounts = parseAccounts('nonroot:x:65532:65532::/:/x\n', '');

  it('survives a fork chain deeper than the call stack', () => {
    const chain = Array.from({ length: 50_000 }, (_, i) => sample(i + 1, i));
    const rows = processTree(chain, accounts, undefined);
    expect(rows).toHaveLength(50_000);
    expect(rows.at(-1)).toMatchObject({ pid: 50_000, depth: 49_999 });
  });

  it('orders depth-first with children sorted, and names users', () => {
    const rows = processTree([sample(7, 1), sample(1, 0), sample(9, 7), sample(3, 1)], accounts, 1_000_000);
    expect(rows.map((row) => [row.pid, row.depth])).toEqual([
      [1, 0],
      [3, 1],
      [7, 1],
      [9, 2],
    ]);
    expect(rows[0]).toMatchObject({ user: 'nonroot', uid: 65532, state: 'S', rssBytes: 4096, threads: 1, command: ['/bin/p1'] });
    expect(rows[0]!.startTime).toBe(new Date(1_000_000 * 1000 + 2500).toISOString());
  });

  it('marks processes of another mount namespace (sidekicks) and keeps orphans and cycles', () => {
    const rows = processTree(
      [sample(1, 0), sample(20, 0, { mountNamespace: 'mnt:[2]' }), sample(30, 31), sample(31, 30)],
      accounts,
      undefined,
    );
    expect(rows.map((row) => row.pid)).toEqual([1, 20, 30, 31]);
    expect(rows.find((row) => row.pid === 20)?.inTargetRoot).toBe(false);
    expect(rows[0]!.startTime).toBeNull();
  });
});
