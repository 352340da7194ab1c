import { describe, expect, it } from 'vitest';
import type { ContainerSpec, SidekickSpec } from '../engine.js';
import { containerCreateBody, sidekickCreateBody } from './request-bodies.js';

const process = { image: 'img', env: ['A=1'], tty: false, openStdin: true, labels: { l: 'v' }, capAdd: [], privileged: false, autoRemove: true };

describe('create requests', () => {
  it("a sidekick joins the target's network and PID namespaces, and IPC only when asked", () => {
    const spec: SidekickSpec = { ...process, command: ['sh'], target: { id: 'abc', joinIpc: false } };
    expect(sidekickCreateBody(spec)).toMatchObject({ Entrypoint: ['sh'], Cmd: null, StdinOnce: true, HostConfig: { NetworkMode: 'container:abc', PidMode: 'container:abc', AutoRemove: true } });
    expect((sidekickCreateBody(spec).HostConfig as Record<string, unknown>).IpcMode).toBeUndefined();
    expect(sidekickCreateBody({ ...spec, target: { id: 'abc', joinIpc: true } }).HostConfig).toMatchObject({ IpcMode: 'container:abc' });
    expect(sidekickCreateBody({ ...spec, target: { hostPid: true } }).HostConfig).toMatchObject({ NetworkMode: 'none', PidMode: 'host' });
  });

  it("a container gets the network mode in Docker's words, its mounts, and tini forwarding to the group when asked", () => {
    const spec: ContainerSpec = {
      ...process, entrypoint: ['/run'], cmd: [], mounts: [{ type: 'tmpfs', source: '', destination: '/t', readOnly: false }],
      networkMode: { kind: 'container', reference: 'def' }, extraNetworks: [], disableHealthcheck: true, initForwardingToGroup: true,
    };
    const body = containerCreateBody(spec);
    expect(body).toMatchObject({ Healthcheck: { Test: ['NONE'] }, Env: ['A=1', 'TINI_KILL_PROCESS_GROUP=1'], HostConfig: { NetworkMode: 'container:def', Init: true, Mounts: [{ Type: 'tmpfs', Target: '/t', ReadOnly: false }] } });
    expect(containerCreateBody({ ...spec, networkMode: { kind: 'private' } }).HostConfig).toMatchObject({ NetworkMode: 'none' });
    expect(containerCreateBody({ ...spec, networkMode: { kind: 'named', name: 'default' } }).HostConfig).toMatchObject({ NetworkMode: 'default' });
  });
});
