/**
 * Faults of the target: killed (SIGKILL) and started again, or restarted, during an `exec`
 * and during a port-forward that is carrying data. The session ends with 137 and says why;
 * the forward follows the target into its new namespaces and every connection that was open
 * ends either whole or with a reset, never with a clean end after part of the data (or after
 * text that was not sent). Afterwards nothing of sidekick's is left and the restarted target
 * has its files as before and no zombie.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { docker } from '../test/fixtures/docker-cli.js';
import { killStrayClis, spawnCli, statusOf } from './cli-process.js';
import { echoExchange, echoTargetOptions, randomPayload, startForward, type Outcome } from './forward.js';
import { bySize } from './mode.js';
import { Tally } from './tally.js';
import { eventually, expectNothingLeftFor, expectSameAfterRestart, removeWithLeftovers, sidekickObjectsOf, sleep, watchTarget, type WatchedTarget } from './witnesses.js';

const FILE = 'stress/target-restart.stress.ts';
const MINUTES = 60_000;

type Disruption = 'kill and start' | 'restart';

async function disrupt(target: WatchedTarget, how: Disruption): Promise<void> {
  if (how === 'restart') {
    await docker(['restart', '-t', '1', target.id]);
  } else {
    await docker(['kill', target.id]);
    await docker(['start', target.id]);
  }
}

async function runningSidekick(targetId: string): Promise<void> {
  await eventually(async () => expect((await sidekickObjectsOf(targetId)).filter((o) => / Up /.test(o)).length).toBeGreaterThan(0), 30_000, 100);
}

describe('stress: the target killed and restarted', () => {
  const targets: WatchedTarget[] = [];
  afterEach(async () => {
    await killStrayClis();
    await Promise.all(targets.splice(0).map((t) => removeWithLeftovers(t.id)));
  });

  it('during exec', async () => {
    const rounds = bySize(1, 5);
    const tally = new Tally({
      id: 'faults/target-restart-exec',
      area: 'faults',
      scenario: `target killed and started again, or restarted, during \`exec -- sh -c 'sleep 30 & sleep 30'\`, ${rounds} round(s) each`,
      proves: 'the session ends with 137 and one line naming the restart; no sidekick left; the restarted target has its diff and no zombie or extra process',
      file: FILE,
    });
    for (let round = 0; round < rounds; round++) {
      for (const how of ['kill and start', 'restart'] as const) {
        const target = await watchTarget(inject('fixtures').scratchServer);
        targets.push(target);
        const attempt = await tally.run(`${how} ${round}`, async () => {
          const cli = spawnCli(['exec', target.name, '--', 'sh', '-c', 'sleep 30 & sleep 30'], { hardLimitMs: 2 * MINUTES });
          await runningSidekick(target.id);
          await disrupt(target, how);
          const end = await cli.ended;
          expect(statusOf(end), end.stderr).toBe(137);
          expect(end.stderr).toMatch(new RegExp(`^sidekick: the target ${target.name} (restarted|stopped .*) during the session`, 'm'));
        });
        await tally.after([attempt], 'after the session', async () => {
          await expectNothingLeftFor(target.id);
          await expectSameAfterRestart(target);
        });
      }
    }
    await tally.finish();
  }, 30 * MINUTES);

  // Before the port-forward fixes of issue 8 (item 11) this failed: connections open when the
  // target died hung, or ended cleanly after the engine's error text.
  it('during a port-forward carrying data', async () => {
    const rounds = bySize(1, 3);
    const clients = bySize(6, 20);
    const tally = new Tally({
      id: 'faults/target-restart-port-forward',
      area: 'faults',
      scenario: `target killed and started again, or restarted, under ${clients} port-forward connections (1–2 MiB echoed), ${rounds} round(s) each`,
      proves: 'each open connection ends whole (sha256 equal) or with a reset, never a clean end with missing or foreign bytes; the forward follows the new namespace and serves again; Ctrl-C then leaves nothing',
      file: FILE,
    });
    const echo = await echoTargetOptions();
    for (let round = 0; round < rounds; round++) {
      for (const how of ['kill and start', 'restart'] as const) {
        const target = await watchTarget(echo.image, { command: echo.command });
        targets.push(target);
        const forward = await startForward(target.name, 7000);
        try {
          await eventually(async () => expect(await echoExchange(forward.port, Buffer.from('ping'), 5_000)).toEqual({ kind: 'echoed', bytes: 4, same: true }), 30_000);
          const inFlight = Array.from({ length: clients }, () => {
            const payload = randomPayload(1 << 20, 2 << 20);
            const start = performance.now();
            return echoExchange(forward.port, payload, 60_000).then((outcome): [Outcome, number, number] => [outcome, payload.length, performance.now() - start]);
          });
          await sleep(300);
          await disrupt(target, how);
          const outcomes = await Promise.all(inFlight);
          const attempts = await Promise.all(
            outcomes.map(([outcome, length, ms], i) =>
              tally.judge(`${how} ${round} connection ${i}`, ms, () => {
                const whole = outcome.kind === 'echoed' && outcome.same && outcome.bytes === length;
                const reset = outcome.kind === 'reset' || (outcome.kind === 'error' && outcome.code === 'EPIPE');
                expect(whole || reset, `ended as ${JSON.stringify(outcome)} for ${length} bytes sent`).toBe(true);
              }),
            ),
          );
          const after = await tally.run(`${how} ${round} serving again`, async () => {
            await eventually(async () => expect(await echoExchange(forward.port, Buffer.from('again'), 5_000)).toEqual({ kind: 'echoed', bytes: 5, same: true }), 30_000, 500);
            expect(forward.running()).toBe(true);
            forward.child.kill('SIGINT');
            const end = await forward.ended;
            expect(statusOf(end), end.stderr).toBe(130);
          });
          await tally.after([...attempts, after], 'after the forward', async () => {
            await expectNothingLeftFor(target.id);
            await expectSameAfterRestart(target);
          });
        } finally {
          forward.child.kill('SIGKILL');
          await forward.ended;
        }
      }
    }
    await tally.finish();
  }, 30 * MINUTES);
});

