/**
 * Faults of the client: every command is sent SIGKILL or SIGINT at several moments after it
 * starts (0.2 s is usually before it reached the engine, 4 s is usually mid-work or after).
 * Then: its sidekick containers are gone within seconds (lease and guard, docs/RELIABILITY.md),
 * the target is as before, or for cp and inject the operation is either whole or absent, and
 * what a SIGKILL leaves by design (a snapshot image, an inject lock, an export container) is
 * exactly what `prune` would remove or the next inject/eject takes over. SIGINT leaves nothing.
 */
import { mkdir, mkdtemp, readdir, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { docker, lines } from '../test/fixtures/docker-cli.js';
import { runCli } from '../test/e2e/harness.js';
import { killStrayClis, spawnCli, statusOf, type CliEnd } from './cli-process.js';
import { bySize } from './mode.js';
import { Tally } from './tally.js';
import { eventually, expectAsBefore, hostTree, processesOf, removeWithLeftovers, rewatch, sidekickObjectsOf, sleep, watchTarget, type WatchedTarget } from './witnesses.js';

const FILE = 'stress/cli-kill.stress.ts';
const MINUTES = 60_000;
const BIG = 200 * 1024 * 1024;

type Signal = 'SIGKILL' | 'SIGINT';

interface Case {
  target: WatchedTarget;
  /** A private directory for the CLI's TMPDIR and for cp's local side. */
  work: string;
  tmp: string;
}

interface Command {
  name: string;
  /**
   * The signals of the short form (inside `npm test`) when not the default alternation: a
   * known defect stays in the long form, visible in its figures, and out of `npm test`.
   */
  shortSignals?: Signal[];
  /** Prepares the target (the picture taken before stays the one to come back to). */
  prepare?(c: Case): Promise<void>;
  args(c: Case): string[];
  /**
   * After the kill: checks that what the command did is whole or absent, and brings the
   * target back to its first picture the documented way (eject, the next inject).
   */
  settle(c: Case, end: CliEnd, signal: Signal): Promise<void>;
}

async function upperDir(id: string): Promise<string> {
  return (await docker(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', id])).trim();
}

async function diffOf(id: string): Promise<string[]> {
  return lines(await docker(['diff', id])).sort();
}

/** eject must succeed and leave the first picture. */
async function ejectAll(c: Case): Promise<void> {
  const ejected = await runCli(['eject', c.target.name], { env: { TMPDIR: c.tmp } });
  expect(ejected.code, `eject after the kill: ${ejected.stderr}`).toBe(0);
}

/** Either a manifest and a toolbox that runs, or no manifest (an interrupted injection, which is never taken for a toolbox). */
async function injectionWholeOrRecordedPartial(c: Case): Promise<void> {
  const diff = await diffOf(c.target.id);
  if (diff.includes('A /.sidekick/manifest.json')) {
    expect(await docker(['exec', c.target.id, '/.sidekick/bin/sh', '-c', 'echo ok'])).toBe('ok\n');
  } else if (diff.some((line) => line.startsWith('A /.sidekick'))) {
    expect(diff, 'a partial injection carries its intent record').toContain('A /.sidekick/injecting.json');
  }
}

const COMMANDS: Command[] = [
  {
    name: 'exec',
    args: (c) => ['exec', c.target.name, '--', 'sh', '-c', 'sleep 30 & sleep 30'],
    settle: async () => undefined,
  },
  {
    name: 'exec --copy',
    // SIGKILL in the short form: the copy's lease ends it (it had none, and ran until its command ended).
    shortSignals: ['SIGKILL'],
    args: (c) => ['exec', '--copy', c.target.name, '--', 'sleep', '30'],
    settle: async () => undefined,
  },
  {
    name: 'cp out of the target',
    prepare: async (c) => {
      const big = path.join(c.work, 'big');
      await writeFile(big, '');
      await truncate(big, BIG);
      await docker(['cp', big, `${c.target.id}:/big`]);
      await rm(big);
      await mkdir(path.join(c.work, 'out'));
    },
    args: (c) => ['cp', `${c.target.name}:/big`, path.join(c.work, 'out')],
    settle: async (c) => {
      // Nothing, or the whole file; after SIGKILL the watchdog removes the staging directory.
      await eventually(async () => {
        const tree = await hostTree(c.work);
        const wholeOrNothing = [['out dir', 'tmp dir'], ['out dir', `out/big file ${BIG}`, 'tmp dir']].map((t) => JSON.stringify(t));
        expect(wholeOrNothing).toContain(JSON.stringify(tree));
      }, 10_000);
    },
  },
  {
    name: 'cp into the target',
    prepare: async (c) => {
      const big = path.join(c.work, 'big');
      await writeFile(big, '');
      await truncate(big, BIG);
    },
    args: (c) => ['cp', path.join(c.work, 'big'), `${c.target.name}:/big`],
    settle: async (c) => {
      // All or nothing in the target: no /big, or /big whole; nothing else.
      await eventually(async () => {
        const diff = await diffOf(c.target.id);
        const before = c.target.before.diff === '' ? [] : c.target.before.diff.split('\n');
        if (diff.includes('A /big')) {
          expect(diff).toEqual([...before, 'A /big'].sort());
          expect((await stat(path.join(await upperDir(c.target.id), 'big'))).size).toBe(BIG);
          // Whole: the run held; the next picture includes it.
          c.target.before = { ...c.target.before, diff: diff.join('\n') };
        } else {
          expect(diff).toEqual(before);
        }
      }, 10_000);
    },
  },
  {
    name: 'inject',
    args: (c) => ['inject', c.target.name],
    settle: async (c) => {
      await injectionWholeOrRecordedPartial(c);
      await ejectAll(c);
    },
  },
  {
    name: 'inject --os',
    args: (c) => ['inject', '--os', inject('fixtures').distroless, c.target.name],
    settle: async (c, _end, signal) => {
      if (signal === 'SIGKILL') {
        // What -9 leaves on this host is the next inject --os's to remove (its process is gone).
        const again = await runCli(['inject', '--os', inject('fixtures').distroless, c.target.name], { env: { TMPDIR: c.tmp } });
        expect([0, 125], again.stderr).toContain(again.code);
      }
      await ejectAll(c);
    },
  },
  {
    name: 'eject',
    prepare: async (c) => {
      const injected = await runCli(['inject', c.target.name]);
      expect(injected.code, injected.stderr).toBe(0);
    },
    args: (c) => ['eject', c.target.name],
    settle: async (c) => {
      await injectionWholeOrRecordedPartial(c);
      await ejectAll(c);
    },
  },
  {
    name: 'port-forward',
    args: (c) => ['port-forward', c.target.name, '0:8080', '0:9090'],
    settle: async () => undefined,
  },
  {
    name: 'shell',
    // SIGKILL in the short form: the shell's keeper ends its command (it had none, and ran until it ended).
    shortSignals: ['SIGKILL'],
    prepare: async (c) => {
      const injected = await runCli(['inject', c.target.name]);
      expect(injected.code, injected.stderr).toBe(0);
    },
    args: (c) => ['shell', '--root', c.target.name, '--', 'sh', '-c', 'sleep 30 & sleep 30'],
    settle: async (c) => {
      // The shell's processes run in the target itself: they must end with the client.
      await eventually(async () => {
        const list = await processesOf(c.target.id);
        expect(list.length, `processes in the target: ${list.join(' ')}`).toBe(c.target.processes);
      }, 12_000);
      await ejectAll(c);
    },
  },
];

/**
 * What a SIGKILL may leave, by design: each object must be one `prune` would remove (asked
 * with --dry-run, which removes nothing: other runs share this engine). Then this test removes
 * them itself. SIGINT must leave nothing.
 */
async function leftoversExplained(targetId: string, diedOfSignal: boolean): Promise<Set<string>> {
  let left: string[] = [];
  await eventually(async () => {
    left = await sidekickObjectsOf(targetId);
    // Sessions and forwarders are auto-removed once they end: none may remain started. One
    // killed between its creation and its start (the engine has no atomic run; `docker run
    // --rm` has the same moment) stays `Created`, and must then be what prune removes.
    const started = (l: string): boolean => !/^container \S+ \S+ Created /.test(l);
    expect(left.filter((l) => (/^container .* (sidekick|forwarder)$/.test(l) && started(l)) || / (Up|Removal In Progress) /.test(l)), 'sessions left').toEqual([]);
    if (!diedOfSignal) expect(left, 'objects left by a CLI that handled the signal').toEqual([]);
  }, 12_000);
  const explained = new Set<string>();
  if (left.length === 0) return explained;
  const dry = await runCli(['prune', '--dry-run', '--json']);
  const report = JSON.parse(dry.stdout.toString()) as { removed: Array<{ id: string }> };
  for (const object of left) {
    const id = object.split(' ')[1]!;
    expect(
      report.removed.some((r) => r.id.replace(/^sha256:/, '').startsWith(id)),
      `left after SIGKILL and not something prune would remove: ${object}`,
    ).toBe(true);
    explained.add(id);
  }
  return explained;
}

/** After the command's own recovery: what is still there must be what prune would have removed; this test removes it. */
async function removeExplained(targetId: string, explained: Set<string>): Promise<void> {
  for (const object of await sidekickObjectsOf(targetId)) {
    const [type, id] = object.split(' ') as [string, string];
    expect(explained.has(id), `left for ${targetId}: ${object}`).toBe(true);
    await docker(type === 'image' ? ['image', 'rm', '-f', id] : ['rm', '-f', id]);
  }
}

describe('stress: the CLI killed', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await killStrayClis();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  let root = '';
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'sidekick-stress-kill-'));
    return () => rm(root, { recursive: true, force: true });
  });

  const delays = bySize([0.8], [0.2, 0.5, 1, 2, 4]);
  const signals: Signal[] = ['SIGKILL', 'SIGINT'];

  for (const [index, command] of COMMANDS.entries()) {
    it(`${command.name}: SIGKILL and SIGINT at several moments`, async () => {
      // The short form sends one signal per command, alternating, so both are covered.
      const mine = bySize(command.shortSignals ?? [signals[index % 2]!], signals);
      const tally = new Tally({
        id: `faults/kill-${command.name.replace(/[^a-z]+/g, '-')}`,
        area: 'faults',
        scenario: `\`${command.name}\`: ${mine.join(' and ')} of the CLI at ${delays.join(', ')} s`,
        proves:
          command.name.startsWith('cp') || command.name.startsWith('inject') || command.name === 'eject'
            ? 'all or nothing (whole, or absent / a recorded partial that eject removes); eject then restores the diff; no sidekick left; SIGKILL leaves only what prune removes or the next run takes over'
            : 'no sidekick or process left within ~12 s (lease and guard), target unchanged, no zombie; SIGINT exits 130 leaving nothing',
        file: FILE,
      });
      for (const signal of mine) {
        for (const delay of delays) {
          const work = await mkdtemp(path.join(root, 'case-'));
          const tmp = path.join(work, 'tmp');
          await mkdir(tmp);
          const target = await watchTarget(inject('fixtures').scratchServer);
          cleanups.push(async () => {
            await removeWithLeftovers(target.id);
            await rm(work, { recursive: true, force: true });
          });
          const c: Case = { target, work, tmp };
          let ran = false;
          const attempt = await tally.run(`${signal} at ${delay} s`, async () => {
            if (command.prepare) {
              await command.prepare(c);
              // Setup may add files (cp out); eject and shell come back to the picture before their inject.
              if (command.name.startsWith('cp')) c.target = await rewatch(target);
            }
            const cli = spawnCli(command.args(c), { env: { TMPDIR: tmp }, hardLimitMs: 3 * MINUTES });
            await sleep(delay * 1000);
            ran = !cli.running();
            cli.child.kill(signal);
            const end = await cli.ended;
            if (signal === 'SIGINT' && !ran) {
              // Killed by the default action before its handlers were set, or its own 130: both 130;
              // 0 when the work was done as the signal came (settle then checks it is whole).
              expect([130, 0], end.stderr).toContain(statusOf(end));
              // An interrupted run says so in one or two lines; a finished one says what it did.
              if (statusOf(end) === 130) expect(lines(end.stderr).length, end.stderr).toBeLessThanOrEqual(2);
            }
            // A SIGINT that comes before the CLI set its handlers kills it like SIGKILL (no cleanup can run).
            const explained = await leftoversExplained(target.id, end.signal !== null);
            await command.settle(c, end, signal);
            await removeExplained(target.id, explained);
            await expectAsBefore(c.target);
            // The CLI's temporary directory is empty: nothing of it stays on this host.
            expect(await readdir(tmp)).toEqual([]);
          });
          if (ran && attempt.failure === undefined) attempt.label += ' (had finished)';
          const cleanup = cleanups.pop();
          await cleanup?.();
        }
      }
      await tally.finish();
    }, 60 * MINUTES);
  }
});
