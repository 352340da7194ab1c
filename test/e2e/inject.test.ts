/**
 * sidekick inject / eject (busybox toolbox) against the real engine: the toolbox works in a
 * scratch target and, as uid 65532, in a distroless-like one; eject leaves `docker diff` as it
 * was and PID 1 never changes; read-only roots and bad input get clear refusals.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { docker } from '../fixtures/docker-cli.js';
import { expectUntouched, removeTarget, REPO_ROOT, runCli, snapshotTarget, startTarget, waitExited, waitForHttp, type TestTarget } from './harness.js';

describe('sidekick inject (toolbox) and eject', () => {
  const targets: TestTarget[] = [];
  const start = async (...args: Parameters<typeof startTarget>): Promise<TestTarget> => {
    const target = await startTarget(...args);
    targets.push(target);
    return target;
  };

  afterEach(async () => {
    await Promise.all(targets.splice(0).map((t) => removeTarget(t.id)));
  });

  it('injects busybox into a scratch target, works through docker exec, and ejects without a trace', async () => {
    const target = await start(inject('fixtures').scratchServer);
    await waitForHttp(target.ip, 8080);
    const before = await snapshotTarget(target.id);

    const injected = await runCli(['inject', target.name]);
    expect(injected.stderr).toContain(`injected busybox`);
    expect(injected.stderr).toContain(`docker exec -it ${target.name} /.sidekick/bin/sh`);
    expect(injected.stderr).toContain(`sidekick shell ${target.name}`);
    expect(injected.code).toBe(0);

    const out = await docker(['exec', target.id, '/.sidekick/bin/sh', '-c', 'ps; wget -qO- 127.0.0.1:8080']);
    expect(out).toMatch(/^\s*1 \S+\s+\/server/m);
    expect(out).toContain('hello from scratch');
    // Nothing outside the prefix.
    expect((await snapshotTarget(target.id)).diff.split('\n').every((line) => /^[AC] \/(\.sidekick(\/.*)?)?$/.test(line) || line === 'C /')).toBe(true);

    const sessions = await runCli(['sessions', '--json']);
    expect(sessions.code).toBe(0);
    const listed = JSON.parse(sessions.stdout.toString()) as { injections: Array<{ containerId: string; kind: string; location: string }> };
    expect(listed.injections).toContainEqual(expect.objectContaining({ containerId: target.id, kind: 'toolbox', location: '/.sidekick' }));

    const again = await runCli(['inject', target.name]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('already has the toolbox at /.sidekick');

    const ejected = await runCli(['eject', target.name]);
    expect(ejected.stderr).toContain('removed the toolbox at /.sidekick');
    expect(ejected.code).toBe(0);
    await expectUntouched(before, target.id);

    const nothing = await runCli(['eject', target.name]);
    expect(nothing.code).toBe(0);
    expect(nothing.stderr).toMatch(/nothing injected by sidekick was found in .*; nothing to do/);
    await expectUntouched(before, target.id);
  });

  it('writes the toolbox in one archive upload, its manifest last: the engine re-execs a process per upload', async () => {
    const target = await start(inject('fixtures').scratchServer);
    const before = await snapshotTarget(target.id);
    const work = mkdtempSync(join(tmpdir(), 'sidekick-requests-'));
    try {
      const log = join(work, 'requests');
      const injected = await runCli(['inject', target.name], { env: { NODE_OPTIONS: `--require ${join(REPO_ROOT, 'test/fixtures/log-engine-requests.cjs')}`, LOG_ENGINE_REQUESTS: log } });
      expect(injected.code).toBe(0);
      const uploads = readFileSync(log, 'utf8').split('\n').filter((line) => /^PUT \S*\/archive\?/.test(line));
      expect(uploads).toHaveLength(1);
      expect(await docker(['exec', target.id, '/.sidekick/bin/sh', '-c', 'cat /.sidekick/manifest.json'])).toContain('"kind": "toolbox"');
      expect((await runCli(['eject', target.name])).code).toBe(0);
      await expectUntouched(before, target.id);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('gives a distroless-like target running as 65532 a toolbox it can run', async () => {
    const target = await start(inject('fixtures').distroless);
    await waitForHttp(target.ip, 8080);
    const before = await snapshotTarget(target.id);

    expect((await runCli(['inject', target.name])).code).toBe(0);
    const out = await docker(['exec', target.id, '/.sidekick/bin/sh', '-c', 'id -u; ps; wget -qO- 127.0.0.1:8080']);
    expect(out).toMatch(/^65532$/m);
    expect(out).toMatch(/^\s*1 \S+\s+\/app\/server/m);
    expect(out).toContain('hello from distroless');

    expect((await runCli(['eject', target.name])).code).toBe(0);
    await expectUntouched(before, target.id);
  });

  it('refuses a read-only root and points to sidekick exec', async () => {
    const target = await start(inject('fixtures').scratchServer, { readOnly: true });
    const before = await snapshotTarget(target.id);
    const result = await runCli(['inject', target.name]);
    expect(result.code).toBe(125);
    expect(result.stderr).toContain(`sidekick: the root filesystem of ${target.name} is read-only; nothing can be written at /.sidekick.`);
    expect(result.stderr).toContain(`Use sidekick exec ${target.name}, which needs no writes into the target.`);
    await expectUntouched(before, target.id);
  });

  it('offers a writable volume of a read-only target, and injects there', async () => {
    // An anonymous volume: the archive API reaches volumes, not tmpfs mounts (see the next test).
    const target = await start(inject('fixtures').distroless, { readOnly: true, dockerArgs: ['-v', '/tmp'] });
    await waitForHttp(target.ip, 8080);
    const before = await snapshotTarget(target.id);
    const refused = await runCli(['inject', target.name]);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain(`It has a writable volume at /tmp: sidekick inject --prefix /tmp/.sidekick ${target.name}`);

    const injected = await runCli(['inject', '--prefix', '/tmp/.sidekick', target.name]);
    expect(injected.stderr).toContain(`docker exec -it ${target.name} /tmp/.sidekick/bin/sh`);
    expect(injected.code).toBe(0);
    expect(await docker(['exec', target.id, '/tmp/.sidekick/bin/sh', '-c', 'id -u; wget -qO- 127.0.0.1:8080'])).toBe('65532\nhello from distroless\n');

    // /tmp/.sidekick is a well-known prefix: eject finds it without being told.
    const ejected = await runCli(['eject', target.name]);
    expect(ejected.stderr).toContain('removed the toolbox at /tmp/.sidekick');
    expect(ejected.code).toBe(0);
    await expectUntouched(before, target.id);
  });

  it('refuses a prefix on a tmpfs, which the archive API cannot reach', async () => {
    const target = await start(inject('fixtures').scratchServer, { dockerArgs: ['--tmpfs', '/tmp'] });
    const before = await snapshotTarget(target.id);
    const result = await runCli(['inject', '--prefix', '/tmp/.sidekick', target.name]);
    expect(result.code).toBe(125);
    expect(result.stderr).toContain(`sidekick: /tmp in ${target.name} is a tmpfs mount, which the engine's archive API cannot write to.`);
    await expectUntouched(before, target.id);
  });

  it('refuses bad input with one clear line and a hint', async () => {
    const exited = await start(inject('fixtures').exitsAtOnce);
    await waitExited(exited.id);
    const stopped = await runCli(['inject', exited.name]);
    expect(stopped.code).toBe(125);
    expect(stopped.stderr).toMatch(/^sidekick: container \S+ is exited; sidekick injects only into running containers\.\n.*sidekick exec --copy/);

    const missing = await runCli(['inject', 'no-such-container-sidekick-test']);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toMatch(/^sidekick: no container named or with an ID starting "no-such-container-sidekick-test"/);

    for (const [prefix, why] of [
      ['relative', 'is not an absolute path'],
      ['/', 'is the root directory'],
      ['/proc/x', 'is inside /dev, /proc or /sys'],
      ['/a/../b', 'contains ".."'],
    ] as const) {
      const bad = await runCli(['inject', '--prefix', prefix, exited.name]);
      expect(bad.code).toBe(125);
      expect(bad.stderr).toContain(`--prefix ${JSON.stringify(prefix)} ${why}.`);
    }
    const flags = await runCli(['inject', '--skip-conflicts', exited.name]);
    expect(flags.code).toBe(125);
    expect(flags.stderr).toContain('--skip-conflicts and --mirror apply to --os only.');
  });
});
