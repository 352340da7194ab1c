/**
 * `exec --copy` on the fake engine (test/fake-engine/): the copy is labelled as the session's,
 * the snapshot does not outlive the copy's start, the original is never written, and a step that
 * fails leaves nothing. The real engine's side is test/e2e/exec-copy.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { SidekickError } from '../../src/core/errors.js';
import { LABEL_KIND, LABEL_SESSION, LABEL_TARGET } from '../../src/core/labels.js';
import { startCopySession, type CopyRequest } from '../../src/debug/exec-copy/copy-session.js';
import { FakeEngine, type FakeContainer } from '../fake-engine/fake-engine.js';
import { FakeFilesystem } from '../fake-engine/fake-filesystem.js';

const env = process.env;

function request(more: Partial<CopyRequest> = {}): CopyRequest {
  return { target: 'web', imageOnly: false, command: ['sh'], tty: false, interactive: true, env: [], keep: false, rwVolumes: false, privileged: false, capAdd: [], ...more };
}

describe('exec --copy (fake engine)', () => {
  let engine: FakeEngine;
  let web: FakeContainer;
  beforeEach(() => {
    engine = new FakeEngine();
    web = engine.addContainer('web', { fs: new FakeFilesystem().writeFile('/app', 'the app').mkdir('/tmp') });
    web.fs.writeFile('/tmp/state', 'written while it ran');
  });

  it("starts a labelled copy of the container's files, removes the snapshot at once, and never writes into the original", async () => {
    const session = await startCopySession(engine, request(), env);
    const copy = engine.containerMap.get(session.containerId);
    expect(copy?.status).toBe('running');
    expect(copy?.labels).toMatchObject({ [LABEL_SESSION]: session.sessionId, [LABEL_KIND]: 'copy', [LABEL_TARGET]: web.id });
    expect(copy?.fs.readFile('/tmp/state')?.toString()).toBe('written while it ran');
    // The snapshot went as soon as the copy held its layers: a client killed now leaves no image.
    expect(session.snapshot).toBeUndefined();
    expect(await engine.listImages({ labels: [`${LABEL_SESSION}=${session.sessionId}`] })).toEqual([]);
    expect(engine.callsOf('putArchive').every(([id]) => id !== web.id)).toBe(true);
    expect(engine.callsOf('commitContainer')).toEqual([[web.id, expect.objectContaining({ pause: false })]]);
    await session.dispose();
    expect(engine.containerMap.has(session.containerId)).toBe(false);
    expect(web.status).toBe('running');
  });

  it('with --keep, the copy and its snapshot stay', async () => {
    const session = await startCopySession(engine, request({ keep: true }), env);
    expect(session.snapshot).toBeDefined();
    await session.dispose();
    expect(engine.containerMap.get(session.containerId)?.status).toBe('running');
    expect(await engine.hasImage(session.snapshot?.reference ?? '')).toBe(true);
    await engine.removeContainer(session.containerId, { force: true });
  });

  it('leaves neither copy nor snapshot when a step after the snapshot fails', async () => {
    engine.failOn('putArchive', new SidekickError('ENGINE_ERROR', 'the engine refused at / in container: no space left on device'));
    await expect(startCopySession(engine, request(), env)).rejects.toBeInstanceOf(SidekickError);
    expect(engine.callsOf('commitContainer')).toHaveLength(1);
    expect(engine.callsOf('createContainer')).toHaveLength(1);
    expect([...engine.containerMap.values()].map((c) => c.name)).toEqual(['web']);
    expect(await engine.listImages({ labels: [LABEL_SESSION] })).toEqual([]);
  });
});
