/**
 * Load: many sessions at once on one target and on many targets, 50 port-forward connections
 * with checksums next to clients that reset mid-download, and concurrent inject/eject on one
 * target. After each round: nothing of sidekick's left, the target as it was, no zombie.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { docker, lines } from '../test/fixtures/docker-cli.js';
import { killStrayClis, spawnCli, statusOf } from './cli-process.js';
import { echoExchange, echoTargetOptions, randomPayload, resettingClient, startForward } from './forward.js';
import { bySize } from './mode.js';
import { Tally, type Attempt } from './tally.js';
import { eventually, expectAsBefore, expectNothingLeftFor, processesOf, removeWithLeftovers, rewatch, sleep, watchTarget, type WatchedTarget } from './witnesses.js';

const FILE = 'stress/load.stress.ts';
const MINUTES = 60_000;

describe('stress: load', () => {
  const targets: WatchedTarget[] = [];
  afterEach(async () => {
    await killStrayClis();
    await Promise.all(targets.splice(0).map((t) => removeWithLeftovers(t.id)));
  });

  const watched = async (...args: Parameters<typeof watchTarget>): Promise<WatchedTarget> => {
    const target = await watchTarget(...args);
    targets.push(target);
    return target;
  };

  /** One `exec` whose output proves it ran in the target's view. */
  async function execSession(tally: Tally, target: WatchedTarget, label: string): Promise<Attempt> {
    return tally.run(label, async () => {
      const token = `${label}-${Math.random().toString(36).slice(2)}`;
      const end = await spawnCli(['exec', target.name, '--', 'sh', '-c', `sleep 1; test -x /server && echo ${token}`], { hardLimitMs: 5 * MINUTES }).ended;
      const seen = { status: statusOf(end), stdout: end.stdout, stderr: end.stderr };
      expect(seen, JSON.stringify(seen)).toEqual({ status: 0, stdout: `${token}\n`, stderr: '' });
    });
  }

  it('concurrent exec sessions on one target', async () => {
    const sessions = bySize(5, 20);
    const rounds = bySize(1, 3);
    const tally = new Tally({
      id: 'load/exec-one-target',
      area: 'load',
      scenario: `${sessions} concurrent \`exec\` on one target, ${rounds} round(s)`,
      proves: 'every session runs and returns its own output and status 0; none is left, no zombie, diff and PID 1 unchanged',
      file: FILE,
    });
    const target = await watched(inject('fixtures').scratchServer);
    for (let round = 0; round < rounds; round++) {
      const attempts = await Promise.all(Array.from({ length: sessions }, (_, i) => execSession(tally, target, `round ${round} session ${i}`)));
      await tally.after(attempts, 'after the round', async () => {
        await expectNothingLeftFor(target.id);
        await expectAsBefore(target);
      });
    }
    await tally.finish();
  }, 30 * MINUTES);

  it('concurrent exec sessions on many targets', async () => {
    const count = bySize(4, 20);
    const rounds = bySize(1, 2);
    const tally = new Tally({
      id: 'load/exec-many-targets',
      area: 'load',
      scenario: `one \`exec\` on each of ${count} targets at once, ${rounds} round(s)`,
      proves: 'each session reaches its own target; none is left, no target changed or gained a zombie',
      file: FILE,
    });
    const many = await Promise.all(Array.from({ length: count }, () => watched(inject('fixtures').scratchServer)));
    for (let round = 0; round < rounds; round++) {
      const attempts = await Promise.all(many.map((t, i) => execSession(tally, t, `round ${round} target ${i}`)));
      await tally.after(attempts, 'after the round', async () => {
        for (const t of many) {
          await expectNothingLeftFor(t.id);
          await expectAsBefore(t);
        }
      });
    }
    await tally.finish();
  }, 30 * MINUTES);

  it('port-forward: concurrent connections with checksums, beside clients that reset mid-download', async () => {
    const clean = bySize(10, 50);
    const resetting = bySize(3, 10);
    const rounds = bySize(1, 2);
    const maxBytes = bySize(1 << 20, 4 << 20);
    const tally = new Tally({
      id: 'load/port-forward-checksums',
      area: 'load',
      scenario: `${clean} concurrent port-forward connections (random 64 KiB–${maxBytes >> 20} MiB up and back) and ${resetting} clients that reset mid-download, ${rounds} round(s), then Ctrl-C`,
      proves: 'every clean connection brings back exactly what it sent (sha256); a reset leaves no tunnel or connection in the target; the forward keeps serving; Ctrl-C ends it with 130 and removes the forwarder',
      file: FILE,
    });
    const echo = await echoTargetOptions();
    const target = await watched(echo.image, { command: echo.command });
    const forward = await startForward(target.name, 7000);
    try {
      await eventually(async () => {
        const ping = await echoExchange(forward.port, Buffer.from('ping'), 5_000);
        expect(ping).toEqual({ kind: 'echoed', bytes: 4, same: true });
      }, 30_000);
      await sleep(1_000);
      // With the forwarder's processes (it joins the target's PID namespace) and its spare tunnels.
      const busy = await rewatch(target);
      for (let round = 0; round < rounds; round++) {
        const runs: Array<Promise<Attempt>> = [];
        for (let i = 0; i < clean; i++) {
          runs.push(
            tally.run(`round ${round} connection ${i}`, async () => {
              const payload = randomPayload(64 << 10, maxBytes);
              expect(await echoExchange(forward.port, payload)).toEqual({ kind: 'echoed', bytes: payload.length, same: true });
            }),
          );
        }
        for (let i = 0; i < resetting; i++) {
          runs.push(
            tally.run(`round ${round} resetting client ${i}`, async () => {
              await resettingClient(forward.port, randomPayload(2 << 20, 2 << 20), 256 << 10);
            }),
          );
        }
        const attempts = await Promise.all(runs);
        await tally.after(attempts, 'after the round', async () => {
          // Every tunnel of a finished or reset connection ends: the target is back to the forward's own processes.
          await eventually(async () => {
            const now = await processesOf(target.id);
            expect(now.length, `processes in the target: ${now.join(' ')}`).toBe(busy.processes);
          }, 15_000);
          expect(await echoExchange(forward.port, Buffer.from('still here'), 10_000)).toEqual({ kind: 'echoed', bytes: 10, same: true });
          expect(forward.running()).toBe(true);
        });
      }
      const stop = await tally.run('Ctrl-C', async () => {
        forward.child.kill('SIGINT');
        const end = await forward.ended;
        expect(statusOf(end), end.stderr).toBe(130);
      });
      await tally.after([stop], 'after Ctrl-C', async () => {
        await expectNothingLeftFor(target.id);
        await expectAsBefore(target);
      });
    } finally {
      forward.child.kill('SIGKILL');
      await forward.ended;
    }
    await tally.finish();
  }, 30 * MINUTES);

  it('concurrent inject and eject on one target', async () => {
    const injectors = bySize(4, 6);
    const ejectors = bySize(2, 3);
    const rounds = bySize(2, 6);
    const tally = new Tally({
      id: 'load/inject-eject-race',
      area: 'load',
      scenario: `${injectors} concurrent \`inject\`, then ${ejectors} concurrent \`eject\`, on one target, ${rounds} rounds`,
      proves: 'exactly one inject writes a working toolbox, the others are told another sidekick is injecting (or find it done); exactly one eject removes it; no lock left; diff as before',
      file: FILE,
    });
    const target = await watched(inject('fixtures').scratchServer);
    const lock = `sidekick-inject-lock-${target.id}`;
    for (let round = 0; round < rounds; round++) {
      const injects = await Promise.all(Array.from({ length: injectors }, () => spawnCli(['inject', target.name]).ended));
      const winners = injects.filter((r) => r.code === 0 && r.stderr.includes('injected busybox'));
      const attemptsIn = await Promise.all(
        injects.map((r, i) =>
          tally.judge(`round ${round} inject ${i}`, r.ms, () => {
            const told = r.code === 125 && r.stderr.startsWith(`sidekick: another sidekick is injecting into ${target.name}`);
            const late = r.code === 0 && r.stderr.includes(`${target.name} already has the toolbox at /.sidekick`);
            const won = r.code === 0 && r.stderr.includes('injected busybox');
            expect(told || late || won, `status ${r.code}: ${r.stderr}`).toBe(true);
            expect(winners.length, 'writers this round').toBe(1);
          }),
        ),
      );
      await tally.after(attemptsIn, 'the toolbox after the injects', async () => {
        expect(await docker(['exec', target.id, '/.sidekick/bin/sh', '-c', 'echo ok'])).toBe('ok\n');
        expect(lines(await docker(['ps', '-aq', '--filter', `name=^${lock}$`]))).toEqual([]);
      });
      const ejects = await Promise.all(Array.from({ length: ejectors }, () => spawnCli(['eject', target.name]).ended));
      const removers = ejects.filter((r) => r.code === 0 && r.stderr.includes('removed the toolbox'));
      const attemptsOut = await Promise.all(
        ejects.map((r, i) =>
          tally.judge(`round ${round} eject ${i}`, r.ms, () => {
            const told = r.code === 125 && /^sidekick: another sidekick is (ejecting from|injecting into) /.test(r.stderr);
            const late = r.code === 0 && r.stderr.includes('nothing injected by sidekick was found');
            const removed = r.code === 0 && r.stderr.includes('removed the toolbox');
            expect(told || late || removed, `status ${r.code}: ${r.stderr}`).toBe(true);
            expect(removers.length, 'removers this round').toBe(1);
          }),
        ),
      );
      await tally.after([...attemptsIn, ...attemptsOut], 'after the round', async () => {
        await expectNothingLeftFor(target.id);
        await expectAsBefore(target);
      });
    }
    await tally.finish();
  }, 30 * MINUTES);
});
