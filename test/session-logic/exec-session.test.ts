/**
 * The exec session's logic on the fake engine (test/fake-engine/): what it asks the engine for,
 * in which order, and what it leaves behind. The real engine's side is test/e2e/exec*.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SidekickError } from '../../src/core/errors.js';
import { LABEL_KIND, LABEL_SESSION, LABEL_TARGET, LABEL_TOOLBOX_INIT, LABEL_TOOLBOX_STATIC } from '../../src/core/labels.js';
import { LEASE_SIGNAL, LEASE_VARIABLE } from '../../src/core/lease.js';
import { startExecSession, type ExecRequest } from '../../src/debug/exec-session.js';
import { defaultToolboxCandidate, INIT_PATH } from '../../src/debug/toolbox.js';
import type { ImageImport, SidekickSpec } from '../../src/engines/engine.js';
import { FakeEngine } from '../fake-engine/fake-engine.js';

const TOOLBOX = 'fake/toolbox:1';

function request(target: string, more: Partial<ExecRequest> = {}): ExecRequest {
  return { target, command: ['sh'], tty: false, interactive: true, image: TOOLBOX, privileged: false, capAdd: [], env: [], keep: false, announce: false, ...more };
}

describe('exec session (fake engine)', () => {
  let engine: FakeEngine;
  beforeEach(() => {
    engine = new FakeEngine();
    // A toolbox with its own init and a static busybox: nothing is read from this host.
    engine.addImage(TOOLBOX, { labels: { [LABEL_KIND]: 'toolbox', [LABEL_TOOLBOX_INIT]: INIT_PATH, [LABEL_TOOLBOX_STATIC]: 'true' } });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("starts a sidekick in the target's namespaces, labelled as the session's, holding a lease", async () => {
    const target = engine.addContainer('web');
    const session = await startExecSession(engine, request('web'), {});
    const sidekick = engine.container(session.sidekickId);
    expect(sidekick?.status).toBe('running');
    expect(sidekick?.namespaces).toMatchObject({ pid: { kind: 'container', reference: target.id }, network: { kind: 'container', reference: target.id } });
    expect(sidekick?.labels).toMatchObject({ [LABEL_SESSION]: session.sessionId, [LABEL_KIND]: 'sidekick', [LABEL_TARGET]: target.id });
    const spec = sidekick?.spec as SidekickSpec;
    expect(spec.autoRemove).toBe(true);
    expect(spec.env).toContain(`${LEASE_VARIABLE}=5`);
    // Under the toolbox's init, which reaps what the session leaves.
    expect(spec.command.slice(0, 2)).toEqual([INIT_PATH, '-s']);
    await session.dispose();
  });

  it('renews the lease each second while the session runs, and stops when it ends', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    engine.addContainer('web');
    const session = await startExecSession(engine, request('web'), {});
    const main = engine.container(session.sidekickId)?.main;
    vi.advanceTimersByTime(3_000);
    expect(main?.signals).toEqual([LEASE_SIGNAL, LEASE_SIGNAL, LEASE_SIGNAL]);
    main?.end(0);
    await session.process.exit;
    vi.advanceTimersByTime(5_000);
    expect(main?.signals).toHaveLength(3);
    expect(main?.signalsAfterEnd).toEqual([]);
  });

  it('a kept session holds no lease and outlives dispose', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    engine.addContainer('web');
    const session = await startExecSession(engine, request('web', { keep: true }), {});
    const sidekick = engine.container(session.sidekickId);
    expect((sidekick?.spec as SidekickSpec).env.some((entry) => entry.startsWith(`${LEASE_VARIABLE}=`))).toBe(false);
    vi.advanceTimersByTime(3_000);
    expect(sidekick?.main?.signals).toEqual([]);
    await session.dispose();
    expect(engine.container(session.sidekickId)?.status).toBe('running');
    await engine.removeContainer(session.sidekickId, { force: true });
  });

  it('dispose stops the session (TERM to its init) before removing it, once', async () => {
    engine.addContainer('web');
    const session = await startExecSession(engine, request('web'), {});
    await session.dispose();
    await session.dispose();
    const onSidekick = engine.calls.filter((call) => call.args[0] === session.sidekickId).map((call) => call.method);
    expect(onSidekick).toEqual(['stopContainer', 'removeContainer']);
    expect(engine.container(session.sidekickId)).toBeUndefined();
    expect((await session.process.exit).code).toBe(143);
  });

  it('after the session ended by itself, dispose asks nothing more of the engine', async () => {
    engine.addContainer('web');
    const session = await startExecSession(engine, request('web'), {});
    engine.container(session.sidekickId)?.main?.end(0);
    await session.process.exit;
    expect(engine.container(session.sidekickId)).toBeUndefined();
    const before = engine.calls.length;
    await session.dispose();
    expect(engine.calls.length).toBe(before);
  });

  it('makes no sidekick for a target that does not run, or is paused', async () => {
    engine.addContainer('stopped', { status: 'exited' });
    engine.addContainer('frozen', { status: 'paused' });
    await expect(startExecSession(engine, request('stopped'), {})).rejects.toMatchObject({ code: 'TARGET_NOT_RUNNING' });
    await expect(startExecSession(engine, request('frozen'), {})).rejects.toMatchObject({ code: 'TARGET_PAUSED' });
    expect(engine.callsOf('runSidekick')).toEqual([]);
  });

  it('tries another generated name when the first is taken', async () => {
    engine.addContainer('web');
    engine.failOn('runSidekick', new SidekickError('NAME_IN_USE', 'the name is already in use'));
    const session = await startExecSession(engine, request('web'), {});
    const names = engine.callsOf('runSidekick').map(([spec]) => (spec as SidekickSpec).name);
    expect(names).toHaveLength(2);
    expect(names[0]).not.toBe(names[1]);
    expect(session.sidekickName).toBe(names[1]);
    await session.dispose();
  });

  it('builds the default toolbox on first use when the engine lacks it, then starts the session', async () => {
    engine.addContainer('web');
    const candidate = await defaultToolboxCandidate(process.env);
    expect(candidate, 'this host has a static busybox (scripts/setup.sh)').toBeDefined();
    const session = await startExecSession(engine, request('web', { image: undefined }), process.env);
    expect(engine.callsOf('importImage').map(([spec]) => (spec as ImageImport).repository)).toHaveLength(1);
    expect(await engine.hasImage(candidate?.image ?? '')).toBe(true);
    expect(engine.callsOf('runSidekick')).toHaveLength(2);
    expect(engine.container(session.sidekickId)?.image).toBe(candidate?.image);
    await session.dispose();
  });

  it('on an engine whose nodes pull images (a cluster), runs its default toolbox, or the one named, as it is', async () => {
    const cluster = Object.assign(FakeEngine.without('images'), { pulledToolboxImage: 'busybox' });
    cluster.addContainer('web');
    // What the cluster's nodes can pull; sidekick itself cannot look at them.
    cluster.addImage('busybox');
    cluster.addImage('registry.example/tools:1');
    const byDefault = await startExecSession(cluster, request('web', { image: undefined }), process.env);
    const named = await startExecSession(cluster, request('web', { image: 'registry.example/tools:1' }), process.env);
    const specs = cluster.callsOf('runSidekick').map(([spec]) => spec as SidekickSpec);
    expect(specs.map((spec) => spec.image)).toEqual(['busybox', 'registry.example/tools:1']);
    // Neither image's labels can be read: the init comes from this host, put in before the start.
    expect(specs.every((spec) => spec.preload !== undefined)).toBe(true);
    await byDefault.dispose();
    await named.dispose();
  });

  it('on an engine that keeps no images, says so plainly before anything is made', async () => {
    const bare = FakeEngine.without('images');
    bare.addContainer('web');
    const failure = await startExecSession(bare, request('web'), {}).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SidekickError);
    expect(failure).toMatchObject({ code: 'ENGINE_UNSUPPORTED' });
    expect((failure as SidekickError).message).toMatch(/^the fake engine at fake:\/\/memory cannot keep images, which is needed to get the toolbox image/);
    expect((failure as SidekickError).hint).toBeDefined();
    expect(bare.callsOf('runSidekick')).toEqual([]);
  });
});
