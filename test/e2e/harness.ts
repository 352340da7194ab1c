/**
 * Helpers for end-to-end tests against the real engine. Everything here goes
 * through the plain docker CLI and the host's /proc, never through sidekick's
 * own code, so that it can witness what sidekick did (or did not do) to a target.
 */
import { randomBytes } from 'node:crypto';
import { appendFile, readdir, readFile, readlink } from 'node:fs/promises';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { expect, inject } from 'vitest';
import { CommandError, docker, lines, run } from '../fixtures/docker-cli.js';

export { lines } from '../fixtures/docker-cli.js';

/** Marks containers the tests start as debug targets; deliberately not a sidekick session label. */
export const TEST_TARGET_LABEL = 'io.sidekick.test';
const SESSION_LABEL = 'io.sidekick.session';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_PATH = fileURLToPath(new URL('../../dist/sidekick.cjs', import.meta.url));
/** The pod archive's unpacker the build makes beside the CLI (native/sidekick-unpack.c). */
export const UNPACKER_PATH = fileURLToPath(new URL('../../dist/sidekick-unpack', import.meta.url));

export interface TargetOptions {
  readOnly?: boolean;
  /** `--user`, e.g. "65532:65532". */
  user?: string;
  /** Container name; a unique `sidekick-test-…` name by default. */
  name?: string;
  env?: Record<string, string>;
  ipc?: 'shareable';
  /** Extra `docker run` flags placed before the image (e.g. ["--tmpfs", "/tmp"]). */
  dockerArgs?: string[];
  /** Command (after the image) overriding the image's CMD. */
  command?: string[];
}

export interface TestTarget {
  id: string;
  name: string;
  /** IP on the default bridge; "" when the container has already exited. */
  ip: string;
}

/** Starts a detached target container labelled as a test target. */
export async function startTarget(image: string, opts: TargetOptions = {}): Promise<TestTarget> {
  const name = opts.name ?? `sidekick-test-${randomBytes(4).toString('hex')}`;
  const args = ['run', '-d', '--label', `${TEST_TARGET_LABEL}=1`, '--name', name];
  if (opts.readOnly) args.push('--read-only');
  if (opts.user !== undefined) args.push('--user', opts.user);
  if (opts.ipc !== undefined) args.push('--ipc', opts.ipc);
  for (const [k, v] of Object.entries(opts.env ?? {})) args.push('--env', `${k}=${v}`);
  args.push(...(opts.dockerArgs ?? []), image, ...(opts.command ?? []));
  const id = (await docker(args)).trim();
  const ip = (await docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', id])).trim();
  return { id, name, ip };
}

/** What must not change while sidekick works on a target (docs/RELIABILITY.md, zero trace). */
export interface TargetSnapshot {
  /** Field 22 (starttime, clock ticks since boot) of the target's PID 1, as seen from the host; "" when not running. */
  pid1StartTime: string;
  /** PID 1 of the target in the host's PID namespace; 0 when not running. */
  hostPid: number;
  /** `docker diff`, lines sorted. */
  diff: string;
  status: string;
  restartCount: number;
  /** Defunct processes in the target's PID namespace: a session must never add one. */
  zombies: number;
}

export async function snapshotTarget(id: string): Promise<TargetSnapshot> {
  const state = await docker(['inspect', '-f', '{{.State.Pid}} {{.State.Status}} {{.RestartCount}}', id]);
  const [pidText = '0', status = '', restarts = '0'] = state.trim().split(' ');
  const hostPid = Number(pidText);
  const [pid1StartTime, diff, zombies] = await Promise.all([
    hostPid > 0 ? startTime(hostPid) : Promise.resolve(''),
    sortedDiff(id),
    hostPid > 0 ? zombiesInPidNamespaceOf(hostPid) : Promise.resolve(0),
  ]);
  return { pid1StartTime, hostPid, diff, status, restartCount: Number(restarts), zombies };
}

/**
 * The process start time from /proc/<pid>/stat. A pid can be reused; pid plus
 * start time cannot, so equal values prove it is the very same process.
 */
async function startTime(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Field 2 (comm) is in parentheses and may contain spaces or ')': split after the last ')'.
  // The rest starts at field 3, so field 22 is index 19.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const value = rest[19];
  if (value === undefined) throw new Error(`unexpected /proc/${pid}/stat: ${stat}`);
  return value;
}

async function sortedDiff(id: string): Promise<string> {
  return lines(await docker(['diff', id])).sort().join('\n');
}

/** Asserts the target is exactly as it was in `before`: same PID 1, same filesystem diff, same state. */
export async function expectUntouched(before: TargetSnapshot, id: string): Promise<void> {
  const after = await snapshotTarget(id);
  const zombies = after.zombies > before.zombies && after.hostPid > 0 ? `zombies now: ${(await zombieListOf(after.hostPid)).join('; ')}` : undefined;
  expect(after, zombies).toEqual(before);
}

/**
 * Defunct processes in the PID namespace of host process `hostPid`, counted from the host's
 * /proc: what `ps` in the target would show as `Z`. A zombie there stays until the
 * namespace's PID 1 reaps it, and a target's program usually never does.
 *
 * An exec's first process has its parent outside the namespace (the engine's shim): when it
 * has just ended (a session's keeper ends on its own a moment after the session), it is a
 * zombie only until the shim reaps it. Such a zombie is given a few seconds to go; one whose
 * parent is in the namespace is counted at once, and so is one that outlives that wait.
 */
export async function zombiesInPidNamespaceOf(hostPid: number): Promise<number> {
  return (await zombieListOf(hostPid)).length;
}

/** The zombies of zombiesInPidNamespaceOf, each as "command (pid P, parent Q command)": for failure messages. */
export async function zombieListOf(hostPid: number): Promise<string[]> {
  const namespace = await readlink(`/proc/${hostPid}/ns/pid`).catch(() => undefined);
  // A target in the host's PID namespace (--pid host) shares it with everything on the machine:
  // its zombies are not a session's to answer for, and the count would move with the machine.
  if (namespace === undefined || namespace === (await readlink('/proc/self/ns/pid'))) return [];
  for (let attempt = 1; ; attempt += 1) {
    const zombies = await zombiesIn(namespace);
    if (attempt >= 30 || zombies.every((zombie) => zombie.parentInNamespace)) {
      return zombies.map((zombie) => `${zombie.command} (pid ${zombie.pid}, parent ${zombie.parentPid} ${zombie.parentCommand}${zombie.parentInNamespace ? '' : ', outside the namespace'})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Zombie {
  pid: number;
  command: string;
  parentPid: number;
  parentCommand: string;
  parentInNamespace: boolean;
}

async function zombiesIn(namespace: string): Promise<Zombie[]> {
  const zombies: Zombie[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const [ns, stat] = await Promise.all([readlink(`/proc/${entry}/ns/pid`).catch(() => ''), readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '')]);
    if (ns !== namespace) continue;
    const { state, parentPid, command } = parseStat(stat);
    if (state !== 'Z') continue;
    const [parentNamespace, parentStat] = await Promise.all([
      readlink(`/proc/${parentPid}/ns/pid`).catch(() => ''),
      readFile(`/proc/${parentPid}/stat`, 'utf8').catch(() => ''),
    ]);
    zombies.push({ pid: Number(entry), command, parentPid, parentCommand: parseStat(parentStat).command, parentInNamespace: parentNamespace === namespace });
  }
  return zombies;
}

/** State, parent and command of a /proc/<pid>/stat line; the command may hold spaces and ')'. */
function parseStat(stat: string): { state: string; parentPid: number; command: string } {
  const close = stat.lastIndexOf(')');
  const [state = '', parent = '0'] = stat.slice(close + 2).split(' ');
  return { state, parentPid: Number(parent), command: stat.slice(stat.indexOf('(') + 1, close) };
}

/** The zombies in a container's PID namespace, described (zombieListOf); none when it is not running. */
export async function zombieNamesOf(id: string): Promise<string[]> {
  const pid = Number((await docker(['inspect', '-f', '{{.State.Pid}}', id]).catch(() => '0')).trim());
  return pid > 0 ? zombieListOf(pid) : [];
}

/** Zombies in a container's PID namespace; 0 when it is not running. */
export async function zombiesOf(id: string): Promise<number> {
  return (await zombieNamesOf(id)).length;
}

/**
 * Force-removes a container and its anonymous volumes; a container that is already gone is
 * fine. A running target is first checked for zombies, which global teardown reports: every
 * test that removes its target this way is a zombie test too.
 */
export async function removeTarget(id: string): Promise<void> {
  // A sidekick (one kept with --keep) is stopped first, as a user is told to: its session then
  // ends its processes, where a forced removal would leave them as zombies of its target.
  const labels = await docker(['inspect', '-f', '{{index .Config.Labels "io.sidekick.session"}}', id]).catch(() => '');
  if (labels.trim() !== '') await docker(['stop', id]).catch(() => undefined);
  await recordZombies(id);
  try {
    await docker(['rm', '-f', '-v', id]);
  } catch (e) {
    if (e instanceof CommandError && /no such container/i.test(e.stderr)) return;
    throw e;
  }
}

async function recordZombies(id: string): Promise<void> {
  const log = zombieLogPath();
  if (log === undefined) return;
  const zombies = await zombieNamesOf(id);
  if (zombies.length > 0) {
    const name = (await docker(['inspect', '-f', '{{.Name}}', id]).catch(() => id)).trim();
    await appendFile(log, `${name} (${id.slice(0, 12)}): ${zombies.length} zombie(s) at removal, in ${expect.getState().currentTestName ?? '?'}: ${zombies.join('; ')}\n`);
  }
}

function zombieLogPath(): string | undefined {
  try {
    return inject('zombieLog');
  } catch {
    return undefined;
  }
}

/** Every container, image and volume labelled as a sidekick session, one description per object. */
export async function leftovers(): Promise<string[]> {
  const filter = ['--filter', `label=${SESSION_LABEL}`];
  const [containers, images, volumes] = await Promise.all([
    docker(['ps', '-a', ...filter, '--format', 'container {{.ID}} {{.Names}} ({{.Status}})']),
    docker(['image', 'ls', '-a', ...filter, '--format', 'image {{.ID}} {{.Repository}}:{{.Tag}}']),
    docker(['volume', 'ls', ...filter, '--format', 'volume {{.Name}}']),
  ]);
  return [...lines(containers), ...lines(images), ...lines(volumes)];
}

export interface CliResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export interface CliOptions {
  /** Written to the CLI's stdin, which is then closed (it is closed at once without input). */
  input?: string | Buffer;
  /** Added to the test process's environment. */
  env?: Record<string, string>;
  /** Kill the CLI and fail after this long; default 60 s. */
  timeoutMs?: number;
}

/** Runs the bundled CLI (`npm run build` makes dist/sidekick.cjs) with no terminal attached. */
export async function runCli(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return run(process.execPath, [CLI_PATH, ...args], {
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    env: { ...process.env, ...opts.env },
    cwd: REPO_ROOT,
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
}

/** GET http://host:port/path with a short timeout; resolves with status and body. */
export function httpGet(host: string, port: number, path = '/', timeoutMs = 2_000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET http://${host}:${port}${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Retries httpGet until the server answers: `docker run -d` returns before the app listens. */
export async function waitForHttp(host: string, port: number, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return (await httpGet(host, port)).body;
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`http://${host}:${port} did not answer within ${timeoutMs} ms: ${String(e)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Waits until a container has exited and returns its exit code. */
export async function waitExited(id: string): Promise<number> {
  return Number((await docker(['wait', id])).trim());
}
