import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFramedDump } from '../core/framed-dump.js';
import type { Target } from '../core/target.js';
import { decodeTargetDump } from '../debug/decode-dump.js';
import type { ContainerRow } from '../debug/inspect-all.js';
import { buildInspectReport } from '../debug/inspect-report.js';
import { formatInspect } from './format-inspect.js';
import { formatInspectAll } from './format-inspect-all.js';
import { privateNamespaces } from '../core/namespace-mode.js';

const target: Target = {
  id: 'a'.repeat(64), name: 'web', image: 'distroless', imageId: 'sha256:1', status: 'running', hostPid: 4242, startedAt: '2026-01-01T00:00:00Z',
  restartCount: 2, exitCode: 0, user: '', env: [], entrypoint: [], cmd: [], workingDir: '', labels: {}, readOnlyRootfs: true,
  privileged: false, created: '2026-01-01T00:00:00Z', health: 'healthy', mounts: [], limits: { memoryBytes: 0, nanoCpus: 0, cpuQuotaMicros: 0, cpuPeriodMicros: 0, pidsLimit: 0 },
  appArmorProfile: '', capAdd: [], capDrop: [], securityOpt: [], namespaceModes: { ...privateNamespaces(), network: { kind: 'named', name: 'bridge' } },
};

describe('formatInspect', () => {
  it('prints each section of a report made from a captured dump', () => {
    const sample = decodeTargetDump(parseFramedDump(readFileSync(new URL('../debug/fixtures/distroless-dump.txt', import.meta.url))));
    const sharing = new Map([['net' as const, { host: false, sharedWith: [{ id: 'b'.repeat(64), name: 'sk', sidekickKind: 'sidekick' }] }]]);
    const text = formatInspect(buildInspectReport({ target, sample, sharing, showSecrets: false }));
    expect(text).toMatch(/^web \(aaaaaaaaaaaa\)$/m);
    expect(text).toMatch(/state +running, healthy, 2 restarts/);
    expect(text).toMatch(/host PID +4242/);
    expect(text).toMatch(/uid +65532 \(nonroot\)/);
    expect(text).toMatch(/net +\d+ +no +sk \(sidekick\)/);
    expect(text).toMatch(/user +4026531837 +yes +-/);
    expect(text).toMatch(/tcp +LISTEN +0\.0\.0\.0:8080 +\* +1\/server/);
    expect(text).toMatch(/looks like +distroless/);
    expect(text).toMatch(/HOME=\/home\/nonroot/);
  });

  it('prints what the engine knows when there is no process', () => {
    const text = formatInspect(buildInspectReport({ target: { ...target, status: 'exited', exitCode: 3 }, sharing: new Map(), showSecrets: false }));
    expect(text).toMatch(/state +exited, healthy, 2 restarts, exit 3/);
    expect(text).toMatch(/root fs +read-only/);
    expect(text).toMatch(/Could not read\n {2}the target is exited/);
    expect(text).not.toMatch(/PID 1/);
  });
});

describe('formatInspectAll', () => {
  it('prints a row per container', () => {
    const row: ContainerRow = {
      name: 'web', id: 'a', image: 'img', user: '65532 (nonroot)', uid: 65532, shell: null, privileged: false, extraCapabilities: ['NET_ADMIN'],
      listening: ['tcp 0.0.0.0:8080'], sharedNamespaces: { net: ['sk'] }, problems: [],
    };
    const text = formatInspectAll([row, { ...row, name: 'root', privileged: true, shell: '/bin/sh', listening: [], sharedNamespaces: {} }]);
    expect(text.split('\n')[1]).toMatch(/^web +img +65532 \(nonroot\) +no +NET_ADMIN +tcp 0\.0\.0\.0:8080 +net:sk$/);
    expect(text.split('\n')[2]).toMatch(/^root +img +65532 \(nonroot\) +\/bin\/sh +PRIVILEGED +- +-$/);
    expect(formatInspectAll([])).toBe('no running containers\n');
  });
});
