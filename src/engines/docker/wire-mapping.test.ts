/**
 * The mapping of the Engine API's answers, on answers of a real engine: the fixtures were
 * captured with fixtures/capture.sh from Docker 20.10.24 (API 1.41, Debian 12's docker.io,
 * cgroup v1, whose default cgroup namespace is the host's; no AppArmor), on 2026-12-01, with the busybox toolbox image as IMAGE (hence its
 * io.sidekick.* labels on every container): GET /containers/{name}/json of a plain container
 * (user, working directory, environment, a label), one with shareable IPC, one joined to that
 * one's network, PID and IPC, one on the host's network, a stopped one (exit 3), a paused one,
 * one with a volume, a read-only bind, a tmpfs, a health check, limits, capabilities and a
 * restart policy; and GET /containers/json?all=1 listing them all.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toContainerSummary, toTarget } from './wire-mapping.js';
import type { WireContainerInspect, WireContainerListEntry } from './wire-types.js';

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as T;
const inspected = (name: string) => toTarget(fixture<WireContainerInspect>(`inspect-${name}`));

const SHAREABLE_ID = 'd6fdbb444ab5c38ea98dba3c6951a729e6691677e36f8d7f383ab78ae4744ca5';
const PRIVATE = { kind: 'private' } as const;
const DEFAULT_NETWORK = { kind: 'named', name: 'default' } as const;

describe('toTarget on captured docker inspect', () => {
  it('a plain container: its process, its identity, its own namespaces', () => {
    const target = inspected('plain');
    expect(target).toMatchObject({
      id: expect.stringMatching(/^5fa0fcd7780f[0-9a-f]{52}$/),
      name: 'ds-cap-plain',
      image: 'docker-split-capture:1',
      imageId: expect.stringMatching(/^sha256:53d8954b44df/),
      status: 'running',
      user: '1000:1000',
      workingDir: '/tmp',
      env: ['GREETING=hello'],
      cmd: ['sleep', '3600'],
      entrypoint: [],
      readOnlyRootfs: false,
      privileged: false,
      restartPolicy: { name: 'no', maximumRetryCount: 0 },
      addresses: [{ network: 'bridge', ipv4: '172.17.0.7/16', ipv6: '', gateway: '172.17.0.1' }],
      networks: ['bridge'],
      mounts: [],
      health: '',
      securityOpt: [],
    });
    expect(target.hostPid).toBeGreaterThan(0);
    expect(target.labels['io.example.role']).toBe('web');
    expect(target.healthLog).toBeUndefined();
    // This engine's default cgroup namespace mode is the host's (see the header).
    expect(target.namespaceModes).toEqual({ network: DEFAULT_NETWORK, pid: PRIVATE, ipc: PRIVATE, uts: PRIVATE, cgroup: { kind: 'host' }, user: PRIVATE });
  });

  it('shareable IPC, and a container joined to its network, PID and IPC (the engine records the ID)', () => {
    expect(inspected('shareable').namespaceModes.ipc).toEqual({ kind: 'shareable' });
    const joined = inspected('joined');
    const owner = { kind: 'container', reference: SHAREABLE_ID };
    expect(joined.namespaceModes).toMatchObject({ network: owner, pid: owner, ipc: owner, uts: PRIVATE });
    expect(joined.networks).toEqual([]);
    expect(joined.addresses).toEqual([]);
  });

  it("the host's network", () => {
    const target = inspected('host-network');
    expect(target.namespaceModes.network).toEqual({ kind: 'host' });
    expect(target.networks).toEqual(['host']);
    expect(target.addresses).toEqual([{ network: 'host', ipv4: '', ipv6: '', gateway: '' }]);
  });

  it('a stopped and a paused container', () => {
    expect(inspected('stopped')).toMatchObject({ status: 'exited', exitCode: 3, hostPid: 0, finishedAt: '2026-12-01T10:05:24.917426302Z', oomKilled: false, stateError: '' });
    const paused = inspected('paused');
    expect(paused.status).toBe('paused');
    expect(paused.hostPid).toBeGreaterThan(0);
    expect(paused.finishedAt).toBe('0001-01-01T00:00:00Z');
  });

  it('mounts (a volume by name, a read-only bind, a tmpfs from HostConfig), health, limits, capabilities', () => {
    const target = inspected('configured');
    expect(target.mounts).toEqual([
      { type: 'volume', source: 'ds-cap-volume', destination: '/data', readOnly: false },
      { type: 'bind', source: '/tmp/ds-cap/host-dir', destination: '/host', readOnly: true },
      { type: 'tmpfs', source: 'tmpfs', destination: '/scratch', readOnly: true },
    ]);
    expect(target.health).toBe('healthy');
    expect(target.healthLog).toEqual({ exitCode: 0, output: 'ok\n', end: '2026-12-01T10:05:33.027111534Z', failingStreak: 0 });
    expect(target.limits).toEqual({ memoryBytes: 64 * 1024 * 1024, nanoCpus: 500_000_000, cpuQuotaMicros: 0, cpuPeriodMicros: 0, pidsLimit: 50 });
    expect(target).toMatchObject({ readOnlyRootfs: true, capAdd: ['CAP_NET_ADMIN'], capDrop: ['CAP_CHOWN'], restartPolicy: { name: 'on-failure', maximumRetryCount: 3 }, env: [] });
  });
});

describe('toContainerSummary on captured docker ps', () => {
  const summaries = fixture<WireContainerListEntry[]>('ps').map(toContainerSummary);
  const byName = new Map(summaries.map((summary) => [summary.names[0], summary]));

  it('names without the slash, states, images, network modes', () => {
    expect(summaries).toHaveLength(7);
    expect(byName.get('ds-cap-plain')).toMatchObject({ status: 'running', image: 'docker-split-capture:1', imageId: expect.stringMatching(/^sha256:/), networkMode: DEFAULT_NETWORK });
    expect(byName.get('ds-cap-plain')?.labels['io.example.role']).toBe('web');
    expect(byName.get('ds-cap-stopped')?.status).toBe('exited');
    expect(byName.get('ds-cap-paused')?.status).toBe('paused');
    expect(byName.get('ds-cap-host-network')?.networkMode).toEqual({ kind: 'host' });
    expect(byName.get('ds-cap-joined')?.networkMode).toEqual({ kind: 'container', reference: SHAREABLE_ID });
  });

  it('agrees with docker inspect on who joins whom', () => {
    const joined = byName.get('ds-cap-joined')!;
    expect(inspected('joined').namespaceModes.network).toEqual(joined.networkMode);
    expect(summaries.find((summary) => summary.id === SHAREABLE_ID)?.names).toEqual(['ds-cap-shareable']);
  });
});
