/**
 * `sidekick sessions` finds what sidekick left in running containers outside the default
 * prefix: a toolbox under /tmp/.sidekick and an interrupted one (intent record, no manifest)
 * under /run/.sidekick, beside a container with nothing injected. It asks a container whether
 * each prefix exists before reading the manifests in it (debug/inject/find-injections.ts).
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { docker } from '../fixtures/docker-cli.js';
import { craftedTar } from '../fixtures/hostile-fixtures.js';
import { removeTarget, runCli, startTarget, type TestTarget } from './harness.js';

const manifest = (prefix: string): string =>
  `${JSON.stringify({ format: 'sidekick-injection/1', kind: 'toolbox', nonce: 'e2e', source: 'busybox e2e', createdAt: '2026-12-01T00:00:00Z', sidekickVersion: '0.1.0', targetId: 'x', prefix, applets: 1 })}\n`;

describe('sidekick sessions and injections', () => {
  const targets: TestTarget[] = [];

  afterEach(async () => {
    await Promise.all(targets.splice(0).map((t) => removeTarget(t.id)));
  });

  it('lists a toolbox under /tmp/.sidekick and an interrupted one under /run/.sidekick, nothing for a clean container', async () => {
    const [inTmp, inRun, clean] = await Promise.all([0, 1, 2].map(() => startTarget(inject('fixtures').distroless)));
    targets.push(inTmp!, inRun!, clean!);
    await docker(['cp', '-', `${inTmp!.id}:/`], {
      input: craftedTar([
        { name: 'tmp/.sidekick/', type: 'directory' },
        { name: 'tmp/.sidekick/manifest.json', type: 'file', content: manifest('/tmp/.sidekick') },
      ]),
    });
    await docker(['cp', '-', `${inRun!.id}:/`], {
      input: craftedTar([
        { name: 'run/', type: 'directory' },
        { name: 'run/.sidekick/', type: 'directory' },
        { name: 'run/.sidekick/injecting.json', type: 'file', content: manifest('/run/.sidekick') },
      ]),
    });

    const result = await runCli(['sessions', '--json']);
    expect(result.code).toBe(0);
    const listed = JSON.parse(result.stdout.toString()) as { injections: Array<{ containerId: string; kind: string; location: string; state: string }> };
    const of = (id: string) => listed.injections.filter((i) => i.containerId === id).map(({ kind, location, state }) => ({ kind, location, state }));
    expect(of(inTmp!.id)).toEqual([{ kind: 'toolbox', location: '/tmp/.sidekick', state: 'injected' }]);
    expect(of(inRun!.id)).toEqual([{ kind: 'toolbox', location: '/run/.sidekick', state: 'incomplete' }]);
    expect(of(clean!.id)).toEqual([]);

    const table = await runCli(['sessions']);
    expect(table.code).toBe(0);
    expect(table.stdout.toString()).toMatch(new RegExp(`inject:toolbox\\s+/tmp/\\.sidekick\\s+${inTmp!.id.slice(0, 12)}`));
  });
});
