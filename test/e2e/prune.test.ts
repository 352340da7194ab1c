import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { docker, run } from '../fixtures/docker-cli.js';
import { runCli } from './harness.js';

interface PruneJson {
  removed: Array<{ type: string; id: string; session: string }>;
  kept: unknown[];
}

describe('sidekick prune', () => {
  const containers: string[] = [];
  const images: string[] = [];

  afterEach(async () => {
    if (containers.length > 0) await run('docker', ['rm', '-f', ...containers.splice(0)]);
    if (images.length > 0) await run('docker', ['rmi', '-f', ...images.splice(0)]);
  });

  function labels(session: string, created: string, kind: string): string[] {
    return ['--label', `io.sidekick.session=${session}`, '--label', `io.sidekick.kind=${kind}`, '--label', `io.sidekick.created=${created}`];
  }

  it('removes stale leftovers, keeps what may be starting now and live sessions unless --all', async () => {
    const { scratchServer, exitsAtOnce } = inject('fixtures');
    const session = `prune${randomBytes(3).toString('hex')}`;
    const old = '2000-01-01T00:00:00.000Z';
    const stale = (await docker(['create', ...labels(session, old, 'sidekick'), exitsAtOnce])).trim();
    const fresh = (await docker(['create', ...labels(session, new Date().toISOString(), 'sidekick'), exitsAtOnce])).trim();
    const live = (await docker(['run', '-d', ...labels(session, old, 'forwarder'), scratchServer])).trim();
    containers.push(stale, fresh, live);
    const snapshot = `sidekick-copy:${session}`;
    await docker(['commit', '--change', `LABEL io.sidekick.session=${session}`, '--change', `LABEL io.sidekick.kind=copy`, '--change', `LABEL io.sidekick.created=${old}`, stale, snapshot]);
    images.push(snapshot);

    const first = await runCli(['prune', '--json']);
    expect(first.code).toBe(0);
    const removed = (JSON.parse(first.stdout.toString()) as PruneJson).removed.filter((item) => item.session === session);
    expect(removed.map((item) => item.type).sort()).toEqual(['container', 'image']);
    expect(removed.find((item) => item.type === 'container')!.id).toBe(stale);
    expect((await run('docker', ['inspect', stale])).code).not.toBe(0);
    expect((await run('docker', ['image', 'inspect', snapshot])).code).not.toBe(0);
    expect((await docker(['inspect', '-f', '{{.State.Status}}', fresh])).trim()).toBe('created');
    expect((await docker(['inspect', '-f', '{{.State.Status}}', live])).trim()).toBe('running');

    const all = await runCli(['prune', '--all']);
    expect(all.code).toBe(0);
    expect(all.stdout.toString()).toMatch(new RegExp(`removed container \\S+ \\(forwarder, session ${session}\\)`));
    expect((await run('docker', ['inspect', live])).code).not.toBe(0);
    expect((await docker(['inspect', '-f', '{{.State.Status}}', fresh])).trim()).toBe('created');
  });
});
