/**
 * What a stress run checks after itself, through the docker CLI and the host's /proc only
 * (never sidekick's own code): the target as it was, nothing of sidekick's left for it, and
 * host paths untouched.
 */
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import { docker, lines } from '../test/fixtures/docker-cli.js';
import { removeTarget, snapshotTarget, startTarget, type TargetOptions, type TargetSnapshot, type TestTarget } from '../test/e2e/harness.js';

export interface WatchedTarget extends TestTarget {
  before: TargetSnapshot;
  /** Processes in its PID namespace when it was watched (the app's own). */
  processes: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` (which throws while not yet true) until it passes or `timeoutMs` is over; then its last error is thrown. */
export async function eventually(check: () => Promise<void>, timeoutMs: number, everyMs = 200): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(everyMs);
    }
  }
}

/** Host pids of the processes in the PID namespace of host process `hostPid`, with their state letter. */
export async function processesInPidNamespaceOf(hostPid: number): Promise<Array<{ pid: number; state: string; comm: string }>> {
  const namespace = await readlink(`/proc/${hostPid}/ns/pid`).catch(() => undefined);
  if (namespace === undefined || namespace === (await readlink('/proc/self/ns/pid'))) return [];
  const found: Array<{ pid: number; state: string; comm: string }> = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const [ns, stat] = await Promise.all([readlink(`/proc/${entry}/ns/pid`).catch(() => ''), readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')]);
    if (ns !== namespace || stat === '') continue;
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    found.push({ pid: Number(entry), state: stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3), comm });
  }
  return found;
}

async function hostPidOf(id: string): Promise<number> {
  return Number((await docker(['inspect', '-f', '{{.State.Pid}}', id]).catch(() => '0')).trim());
}

/** Processes in a container's PID namespace, described "comm(state)"; [] when it is not running. */
export async function processesOf(id: string): Promise<string[]> {
  const pid = await hostPidOf(id);
  return pid > 0 ? (await processesInPidNamespaceOf(pid)).map((p) => `${p.comm}(${p.state})`).sort() : [];
}

/** Starts a target and records what must be the same after each run. */
export async function watchTarget(image: string, options: TargetOptions = {}): Promise<WatchedTarget> {
  const target = await startTarget(image, options);
  return rewatch(target);
}

/** Takes the target's picture again (after a setup step that is allowed to change it). */
export async function rewatch(target: TestTarget): Promise<WatchedTarget> {
  // The app's first process may still be starting its children; the count must be stable.
  let processes = (await processesOf(target.id)).length;
  for (let i = 0; i < 10; i++) {
    await sleep(50);
    const again = (await processesOf(target.id)).length;
    if (again === processes) break;
    processes = again;
  }
  const before = await snapshotTarget(target.id);
  if (before.zombies !== 0) throw new Error(`${target.name} has ${before.zombies} zombie(s) before the run`);
  return { ...target, before, processes };
}

/** Containers and images labelled io.sidekick.target=<id>: sidekicks, copies, snapshots, forwarders, locks. */
export async function sidekickObjectsOf(targetId: string): Promise<string[]> {
  const filter = ['--filter', `label=io.sidekick.target=${targetId}`];
  const [containers, images] = await Promise.all([
    docker(['ps', '-a', ...filter, '--format', 'container {{.ID}} {{.Names}} {{.Status}} {{.Label "io.sidekick.kind"}}']),
    docker(['image', 'ls', '-a', ...filter, '--format', 'image {{.ID}} {{.Repository}}:{{.Tag}}']),
  ]);
  return [...lines(containers), ...lines(images)];
}

/** Nothing of sidekick's for the target within `waitMs` (a killed CLI's session ends on its own within ~6 s). */
export async function expectNothingLeftFor(targetId: string, waitMs = 12_000): Promise<void> {
  await eventually(async () => expect(await sidekickObjectsOf(targetId), 'sidekick objects left for the target').toEqual([]), waitMs);
}

/**
 * The target as it was: same PID 1 (start time), same `docker diff`, same state, no zombie,
 * and its process count back to what it was (a session's process left in the target, or a
 * connection the forwarder never closed, keeps it higher).
 */
export async function expectAsBefore(target: WatchedTarget, waitMs = 12_000): Promise<void> {
  await eventually(async () => {
    const now = await snapshotTarget(target.id);
    expect(now, `${target.name} changed`).toEqual(target.before);
    const processes = await processesOf(target.id);
    expect(processes.length, `processes in ${target.name}: ${processes.join(' ')}`).toBe(target.processes);
  }, waitMs);
}

/**
 * After a restart of the target: its PID 1 is new, but the filesystem is the same, it runs,
 * and there is no zombie and no process beyond the app's.
 */
export async function expectSameAfterRestart(target: WatchedTarget, waitMs = 12_000): Promise<void> {
  await eventually(async () => {
    const now = await snapshotTarget(target.id);
    expect({ diff: now.diff, status: now.status, zombies: now.zombies }, `${target.name} after its restart`).toEqual({ diff: target.before.diff, status: 'running', zombies: 0 });
    const processes = await processesOf(target.id);
    expect(processes.length, `processes in ${target.name}: ${processes.join(' ')}`).toBe(target.processes);
  }, waitMs);
}

/** Removes what sidekick left for the target (only after it was counted as a failure) and the target. */
export async function removeWithLeftovers(targetId: string): Promise<void> {
  const filter = ['--filter', `label=io.sidekick.target=${targetId}`];
  const containers = lines(await docker(['ps', '-aq', ...filter]).catch(() => ''));
  for (const id of containers) await docker(['stop', '-t', '2', id]).catch(() => undefined);
  if (containers.length > 0) await docker(['rm', '-f', ...containers]).catch(() => undefined);
  const images = lines(await docker(['image', 'ls', '-aq', ...filter]).catch(() => ''));
  if (images.length > 0) await docker(['image', 'rm', '-f', ...new Set(images)]).catch(() => undefined);
  await removeTarget(targetId);
}

/** Every path under `root` with its type and size, sorted: what must not change on the host. */
export async function hostTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
    if (entries === undefined) return;
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const stat = await lstat(full);
      const kind = stat.isSymbolicLink() ? `-> ${await readlink(full)}` : stat.isDirectory() ? 'dir' : stat.isFile() ? `file ${stat.size}` : `mode ${stat.mode.toString(8)}`;
      out.push(`${path.relative(root, full)} ${kind}`);
      if (entry.isDirectory()) await walk(full);
    }
  };
  await walk(root);
  return out.sort();
}
