import { describe, expect, it } from 'vitest';
import type { ContainerSummary, NamespaceModes, NetworkMode, Target } from '../core/target.js';
import type { ProcessSample, TargetSample } from './decode-dump.js';
import { possibleSharers } from './inspect-target.js';
import { privateNamespaces } from '../core/namespace-mode.js';

function target(modes: Partial<NamespaceModes> = {}): Target {
  return {
    id: 't'.repeat(64), name: 'app', image: 'i', imageId: 'sha256:1', status: 'running', hostPid: 1, startedAt: '', restartCount: 0, exitCode: 0,
    user: '', env: [], entrypoint: [], cmd: [], workingDir: '', labels: {}, readOnlyRootfs: false, privileged: false, created: '',
    health: '', mounts: [], limits: { memoryBytes: 0, nanoCpus: 0, cpuQuotaMicros: 0, cpuPeriodMicros: 0, pidsLimit: 0 }, appArmorProfile: '',
    capAdd: [], capDrop: [], securityOpt: [], namespaceModes: { ...privateNamespaces(), network: { kind: 'named', name: 'bridge' }, ...modes },
  };
}

function sample(mountNamespaces: string[]): TargetSample {
  const processes = mountNamespaces.map((mnt, i) => ({ pid: i + 1, mountNamespace: mnt }) as ProcessSample);
  return { processes, targetPid: 1 } as TargetSample;
}

const entry = (id: string, networkMode: NetworkMode | undefined, labels: Record<string, string> = {}): ContainerSummary => ({
  id, names: [id], image: 'x', status: 'running', labels, ...(networkMode !== undefined ? { networkMode } : {}),
});

describe('possibleSharers', () => {
  const bridge: NetworkMode = { kind: 'named', name: 'bridge' };
  const list = [entry('t'.repeat(64), bridge), entry('joiner', { kind: 'container', reference: 'abc' }), entry('plain', bridge), entry('ours', bridge, { 'io.sidekick.target': 't'.repeat(64) })];

  it('keeps network joiners and sidekicks of the target when nothing else can share', () => {
    expect(possibleSharers(target(), sample(['mnt:[1]']), list).map((e) => e.id)).toEqual(['joiner', 'ours']);
  });

  it('takes everything when other processes are in the PID namespace, or IPC can be shared', () => {
    expect(possibleSharers(target(), sample(['mnt:[1]', 'mnt:[2]']), list)).toHaveLength(3);
    expect(possibleSharers(target({ ipc: { kind: 'shareable' } }), sample(['mnt:[1]']), list)).toHaveLength(3);
    expect(possibleSharers(target(), sample(['mnt:[1]']), [...list, entry('unknown', undefined)])).toHaveLength(4);
  });

  it('keeps the container whose network the target joined, by id or name', () => {
    expect(possibleSharers(target({ network: { kind: 'container', reference: 'plain' } }), sample(['mnt:[1]']), list).map((e) => e.id)).toEqual(['joiner', 'plain', 'ours']);
  });
});
