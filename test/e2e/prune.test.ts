/**
 * `sidekick prune` removes only what sidekick made for this user on this machine and nobody
 * uses any more, never a volume, and says why it keeps the rest (docs/RELIABILITY.md, "prune
 * and ownership"). The engine is shared with other runs: these tests never run a real
 * `prune --all`, and the CLI gets its own key (XDG_STATE_HOME), so it can only ever recognise
 * the objects made here as its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ownedSessionLabels, type SessionLabels } from '../../src/core/labels.js';
import { startTimeFromStat, type ClientId } from '../../src/core/ownership/client-id.js';
import { localClientHost } from '../../src/core/ownership/local-client.js';
import { signingKey } from '../../src/core/ownership/owner-key.js';
import { docker, lines, run } from '../fixtures/docker-cli.js';
import { CLI_PATH, REPO_ROOT, removeTarget, runCli, startTarget } from './harness.js';

interface Entry {
  type: string;
  id: string;
  name: string;
  session: string;
  reason: string;
  client: string;
}
interface PruneJson {
  dryRun: boolean;
  removed: Entry[];
  kept: Entry[];
  failed: Entry[];
}

const OLD = new Date('2020-01-01T00:00:00.000Z');

let stateHome: string;
let cliEnv: Record<string, string>;
let key: Buffer;

beforeAll(async () => {
  stateHome = await mkdtemp(join(tmpdir(), 'sidekick-prune-state-'));
  // Only this directory holds keys for the CLIs these tests run ("" is not a directory).
  cliEnv = { XDG_STATE_HOME: stateHome, XDG_RUNTIME_DIR: '' };
  const lookup = signingKey(cliEnv, '');
  if (lookup.key === undefined) throw new Error(`no owner key: ${lookup.problems.join('; ')}`);
  key = lookup.key;
});

afterAll(async () => {
  await rm(stateHome, { recursive: true, force: true });
});

const containers: string[] = [];
const images: string[] = [];
const children: ChildProcess[] = [];
const workDirs: string[] = [];
const volumes: string[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }
  // These are the tests' own containers: their anonymous volumes go with them.
  for (const id of containers.splice(0)) await removeTarget(id);
  if (volumes.length > 0) await run('docker', ['volume', 'rm', '-f', ...volumes.splice(0)]);
  if (images.length > 0) await run('docker', ['rmi', '-f', ...images.splice(0)]);
  for (const dir of workDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function prune(args: string[] = []): Promise<{ code: number; report: PruneJson; stderr: string }> {
  const result = await runCli(['prune', '--json', ...args], { env: cliEnv });
  return { code: result.code, report: JSON.parse(result.stdout.toString()) as PruneJson, stderr: result.stderr };
}

const ids = (entries: Entry[]): string[] => entries.map((e) => e.id);
const find = (entries: Entry[], id: string): Entry | undefined => entries.find((e) => e.id === id);

async function exists(kind: 'container' | 'image' | 'volume', id: string): Promise<boolean> {
  return (await run('docker', [kind, 'inspect', id])).code === 0;
}

/** A process of this machine that is alive until killed, named as sidekick names its clients. */
async function liveClient(): Promise<{ client: ClientId; child: ChildProcess }> {
  const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
  children.push(child);
  const stat = await readFile(`/proc/${child.pid!}/stat`, 'utf8');
  return { client: { ...localClientHost(), pid: child.pid!, startTime: startTimeFromStat(stat)! }, child };
}

/** The id of a client that has ended: its pid no longer runs this process. */
async function deadClient(): Promise<ClientId> {
  const { client, child } = await liveClient();
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  return client;
}

function signed(fields: Partial<SessionLabels>, client: ClientId, withKey: Buffer = key): Record<string, string> {
  return ownedSessionLabels({ session: `prune${randomBytes(3).toString('hex')}`, kind: 'sidekick', created: OLD, ...fields }, { key: withKey, client });
}

const labelArgs = (labels: Record<string, string>): string[] => Object.entries(labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]);

/** An image built here that carries `labels` in its own config, declares a volume and writes data into it. */
async function buildLabelledImage(labels: Record<string, string>, script = 'echo precious > /data/file'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sidekick-prune-image-'));
  workDirs.push(dir);
  await copyFile('/bin/busybox', join(dir, 'busybox'));
  const labelLines = Object.entries(labels).map(([k, v]) => `LABEL ${JSON.stringify(k)}=${JSON.stringify(v)}`);
  await writeFile(
    join(dir, 'Dockerfile'),
    ['FROM scratch', 'COPY busybox /bin/busybox', ...labelLines, 'VOLUME /data', `CMD ["/bin/busybox", "sh", "-c", ${JSON.stringify(script)}]`, ''].join('\n'),
  );
  const tag = `sidekick-test-labelled:${randomBytes(4).toString('hex')}`;
  await docker(['build', '-q', '-t', tag, dir], { env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  images.push(tag);
  return tag;
}

/** Runs the image to completion: it leaves an exited container whose anonymous volume holds data. */
async function runToCompletion(image: string): Promise<{ id: string; volume: string }> {
  const id = (await docker(['create', image])).trim();
  containers.push(id);
  await docker(['start', '-a', id]);
  const volume = (await docker(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', id])).trim();
  return { id, volume };
}

async function volumeHolds(containerId: string): Promise<string> {
  const tar = await run('docker', ['cp', `${containerId}:/data/file`, '-']);
  return tar.stdout.toString('latin1');
}

describe('sidekick prune: only what sidekick made', () => {
  it('never touches a container, its volume or its image when the sidekick labels come from the image or from docker run --label', async () => {
    const { exitsAtOnce } = inject('fixtures');
    // An image with the labels as a LABEL (the case), and one carrying a whole valid
    // set as if someone had committed a real sidekick: both hand them to their containers.
    const plainImage = await buildLabelledImage({ 'io.sidekick.session': 'x', 'io.sidekick.kind': 'sidekick' });
    const committedImage = await buildLabelledImage(signed({}, await deadClient()));
    const plain = await runToCompletion(plainImage);
    const committed = await runToCompletion(committedImage);
    // docker run --label, with an old creation time and no mark; and one marked with another key.
    const forged = (await docker(['create', '--label', 'io.sidekick.session=forged', '--label', 'io.sidekick.kind=sidekick', '--label', `io.sidekick.created=${OLD.toISOString()}`, exitsAtOnce])).trim();
    containers.push(forged);
    const otherKey = (await docker(['create', ...labelArgs(signed({}, await deadClient(), randomBytes(32))), exitsAtOnce])).trim();
    containers.push(otherKey);
    const ours = [plain.id, committed.id, forged, otherKey];

    const real = await prune();
    expect(real.code).toBe(0);
    expect(ids(real.report.removed).filter((id) => ours.includes(id))).toEqual([]);
    expect(find(real.report.kept, otherKey)?.reason).toMatch(/not created by sidekick for this user on this machine.*--all/);
    for (const id of ours) expect(await exists('container', id), id).toBe(true);
    for (const { id, volume } of [plain, committed]) {
      expect(await exists('volume', volume)).toBe(true);
      expect(await volumeHolds(id)).toContain('precious');
    }
    for (const image of [plainImage, committedImage]) expect(await exists('image', image)).toBe(true);

    const dry = await prune(['--dry-run', '--all']);
    expect(dry.code).toBe(0);
    expect(dry.report.dryRun).toBe(true);
    expect(find(dry.report.kept, plain.id)?.reason).toMatch(/come from its image/);
    expect(find(dry.report.kept, committed.id)?.reason).toMatch(/come from its image/);
    expect(find(dry.report.kept, forged)?.reason).toMatch(/no sidekick ownership mark/);
    // --all trusts a mark it cannot check (another machine or user): listed, but this was a dry run.
    expect(find(dry.report.removed, otherKey)?.reason).toMatch(/not created by sidekick for this user on this machine/);
    for (const image of [plainImage, committedImage]) {
      expect(dry.report.kept.find((e) => e.type === 'image' && e.name === image)?.reason).toMatch(/not a snapshot sidekick made/);
    }
    for (const id of ours) expect(await exists('container', id), id).toBe(true);
  });

  it('removes an orphan without its anonymous volume, and the data in it stays', async () => {
    const image = await buildLabelledImage({}, 'echo precious > /data/file && exec /bin/busybox sleep 1000');
    const orphan = (await docker(['run', '-d', '--rm', ...labelArgs(signed({}, await deadClient())), image])).trim();
    containers.push(orphan);
    const volume = (await docker(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', orphan])).trim();
    volumes.push(volume);
    expect(volume).not.toBe('');
    // The file is written before the sleep starts: wait until it is there.
    for (let i = 0; i < 100 && !(await volumeHolds(orphan)).includes('precious'); i++) await new Promise((r) => setTimeout(r, 100));

    const { code, report } = await prune();
    expect(code).toBe(0);
    expect(find(report.removed, orphan)?.reason).toMatch(/^orphan/);
    expect(await exists('container', orphan)).toBe(false);
    expect(await exists('volume', volume)).toBe(true);
    const read = await docker(['run', '--rm', '-v', `${volume}:/data`, '--entrypoint', '/bin/busybox', image, 'cat', '/data/file']);
    expect(read.trim()).toBe('precious');
  });

  it('removes the orphan of a CLI killed with -9 and leaves the live session of another CLI alone', async () => {
    const { scratchServer } = inject('fixtures');
    const orphanTarget = await startTarget(scratchServer);
    const liveTarget = await startTarget(scratchServer);
    containers.push(orphanTarget.id, liveTarget.id);
    const killed = await backgroundExec(orphanTarget.id);
    const live = await backgroundExec(liveTarget.id);
    const killedExit = new Promise((resolve) => killed.child.once('exit', resolve));
    killed.child.kill('SIGKILL');
    await killedExit;

    const { code, report } = await prune();
    expect(code).toBe(0);
    // Removed by this prune (or, once sidekicks end with their client, already gone): never kept.
    expect(ids(report.kept)).not.toContain(killed.sidekickId);
    const removed = find(report.removed, killed.sidekickId);
    if (removed !== undefined) expect(removed.reason).toMatch(new RegExp(`orphan: client pid ${killed.child.pid} is gone`));
    expect(await exists('container', killed.sidekickId)).toBe(false);

    expect(find(report.kept, live.sidekickId)?.reason).toMatch(new RegExp(`live session of pid ${live.child.pid}`));
    expect((await docker(['inspect', '-f', '{{.State.Status}}', live.sidekickId])).trim()).toBe('running');
    expect(live.child.exitCode).toBeNull();
  });

  it('removes sessions whose client is gone, keeps live and --keep ones, and sessions shows which is which', async () => {
    const { scratchServer } = inject('fixtures');
    const alive = await liveClient();
    const dead = await deadClient();
    const elsewhere: ClientId = { ...dead, machine: 'feedfacefeedface' };
    const sessionOf = new Map<string, string>();
    const session = (id: string): string => sessionOf.get(id) ?? '?';
    const start = async (labels: Record<string, string>, autoRemove: boolean): Promise<string> => {
      const id = (await docker(['run', '-d', ...(autoRemove ? ['--rm'] : []), ...labelArgs(labels), scratchServer])).trim();
      containers.push(id);
      sessionOf.set(id, `session ${labels['io.sidekick.session']!})`);
      return id;
    };
    const orphan = await start(signed({ kind: 'forwarder' }, dead), true);
    const liveOne = await start(signed({ kind: 'forwarder' }, alive.client), true);
    const kept = await start(signed({}, dead), false);
    const remote = await start(signed({}, elsewhere), true);

    const sessions = JSON.parse((await runCli(['sessions', '--json'], { env: cliEnv })).stdout.toString()) as {
      containers: Array<{ id: string; client: string; clientDetail: string; kept: boolean; owner: string }>;
    };
    const shown = (id: string) => sessions.containers.find((c) => c.id === id);
    expect(shown(orphan)).toMatchObject({ client: 'dead', kept: false, owner: 'mine', clientDetail: `pid ${dead.pid}` });
    expect(shown(liveOne)).toMatchObject({ client: 'alive', owner: 'mine', clientDetail: `pid ${alive.client.pid}` });
    expect(shown(kept)).toMatchObject({ client: 'dead', kept: true });
    expect(shown(remote)).toMatchObject({ client: 'unknown', clientDetail: 'client on another machine' });
    const table = (await runCli(['sessions'], { env: cliEnv })).stdout.toString();
    const row = (id: string) => lines(table).find((line) => line.includes(id.slice(0, 12))) ?? '';
    expect(row(orphan)).toContain('dead (orphan)');
    expect(row(liveOne)).toContain(`alive (pid ${alive.client.pid})`);
    expect(row(kept)).toContain('dead (kept with --keep)');
    expect(row(remote)).toContain('unknown (other machine)');

    // A dry run says what would go and what stays, and why, and removes nothing.
    const dry = await runCli(['prune', '--dry-run'], { env: cliEnv });
    expect(dry.code).toBe(0);
    const said = (id: string) => lines(dry.stdout.toString()).find((line) => line.includes(id.slice(0, 12)) || line.includes(session(id))) ?? '';
    expect(said(orphan)).toMatch(new RegExp(`^would remove container .*: orphan: client pid ${dead.pid} is gone`));
    expect(said(liveOne)).toMatch(new RegExp(`^would keep container .*: live session of pid ${alive.client.pid}`));
    for (const id of [orphan, liveOne, kept, remote]) expect(await exists('container', id)).toBe(true);

    const { code, report } = await prune();
    expect(code).toBe(0);
    expect(find(report.removed, orphan)?.reason).toMatch(/^orphan: client pid \d+ is gone/);
    expect(find(report.kept, liveOne)?.reason).toMatch(new RegExp(`^live session of pid ${alive.client.pid}`));
    expect(find(report.kept, kept)?.reason).toMatch(/kept on purpose \(made with --keep\); prune --all removes it/);
    expect(find(report.kept, remote)?.reason).toMatch(/client on another machine.*prune --all removes it/);
    expect(await exists('container', orphan)).toBe(false);
    for (const id of [liveOne, kept, remote]) expect(await exists('container', id)).toBe(true);
  });

  it('skips a live exec --copy session older than a minute quietly (exit 0), and removes copy and snapshot once its client is gone', async () => {
    const { scratchServer } = inject('fixtures');
    const original = await startTarget(scratchServer);
    containers.push(original.id);
    const client = await liveClient();
    const session = `prune${randomBytes(3).toString('hex')}`;
    const snapshot = `sidekick-copy:${session}`;
    // What exec --copy leaves while it runs: a snapshot image and a copy container made from it,
    // each with its own mark, created long ago by a client that still runs.
    const imageLabels = signed({ session, kind: 'copy', target: original.id }, client.client);
    await docker(['commit', ...Object.entries(imageLabels).flatMap(([k, v]) => ['--change', `LABEL ${k}=${JSON.stringify(v)}`]), original.id, snapshot]);
    images.push(snapshot);
    const copy = (await docker(['run', '-d', '--rm', ...labelArgs(signed({ session, kind: 'copy', target: original.id }, client.client)), snapshot])).trim();
    containers.push(copy);

    const first = await prune();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.report.failed).toEqual([]);
    expect(find(first.report.kept, copy)?.reason).toMatch(/live session/);
    expect(first.report.kept.find((e) => e.type === 'image' && e.name === snapshot)?.reason).toMatch(/in use by container|live session/);
    expect(await exists('image', snapshot)).toBe(true);
    expect((await docker(['inspect', '-f', '{{.State.Status}}', copy])).trim()).toBe('running');

    const exited = new Promise((resolve) => client.child.once('exit', resolve));
    client.child.kill('SIGKILL');
    await exited;
    const second = await prune();
    expect(second.code).toBe(0);
    expect(find(second.report.removed, copy)?.reason).toMatch(/orphan/);
    expect(second.report.removed.find((e) => e.type === 'image' && e.name === snapshot)?.reason).toMatch(/orphan/);
    expect(await exists('container', copy)).toBe(false);
    expect(await exists('image', snapshot)).toBe(false);
  });
});

describe('sidekick prune, a copy whose snapshot sidekick removed', () => {
  const containers: string[] = [];
  afterEach(async () => {
    for (const id of containers.splice(0)) await docker(['rm', '-f', id]).catch(() => undefined);
  });

  it('removes a copy left created (its client killed before it started) once its client is gone, though its image is gone', async () => {
    const { scratchServer } = inject('fixtures');
    const original = await startTarget(scratchServer);
    containers.push(original.id);
    const session = `prune${randomBytes(3).toString('hex')}`;
    const snapshot = `sidekick-copy:${session}`;
    const client = await deadClient();
    const imageLabels = signed({ session, kind: 'copy', target: original.id }, client);
    await docker(['commit', ...Object.entries(imageLabels).flatMap(([k, v]) => ['--change', `LABEL ${k}=${JSON.stringify(v)}`]), original.id, snapshot]);
    const imageId = (await docker(['image', 'inspect', '-f', '{{.Id}}', snapshot])).trim();
    // What exec --copy leaves when killed between creating the copy and starting it: the copy,
    // made from the snapshot, which was removed as soon as the copy held its layers.
    const copyLabels = { ...signed({ session, kind: 'copy', target: original.id }, client), 'io.sidekick.snapshot': imageId };
    const copy = (await docker(['create', ...labelArgs(copyLabels), snapshot])).trim();
    containers.push(copy);
    await docker(['image', 'rm', '-f', snapshot]);

    const result = await prune();
    expect(result.code, result.stderr).toBe(0);
    expect(find(result.report.removed, copy)?.reason).toMatch(/orphan/);
    expect(await exists('container', copy)).toBe(false);
  });
});

describe('sidekick sessions with a container the engine holds locked', () => {
  it('goes on without it, and says so', async () => {
    const { scratchServer } = inject('fixtures');
    const target = await startTarget(scratchServer);
    containers.push(target.id);
    // docker cp - holds the container's lock until its tar stream ends; this one stops half-way.
    const upload = spawn('docker', ['cp', '-', `${target.id}:/`], { stdio: ['pipe', 'ignore', 'ignore'] });
    children.push(upload);
    const header = Buffer.alloc(512);
    header.write('stuck-file', 0);
    header.write('0000644\0', 100);
    header.write('0000000\0', 108);
    header.write('0000000\0', 116);
    header.write(`${(1 << 20).toString(8).padStart(11, '0')}\0`, 124);
    header.write('00000000000\0', 136);
    header.write('        ', 148);
    header.write('0', 156);
    header.write('ustar\u000000', 257);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    upload.stdin!.write(Buffer.concat([header, Buffer.alloc(4096, 1)]));
    const locked = async (): Promise<boolean> => (await run('docker', ['inspect', target.id], { timeoutMs: 1_500 }).then(() => false, () => true));
    for (let i = 0; i < 50 && !(await locked()); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await locked()).toBe(true);

    const shown = await runCli(['sessions'], { env: cliEnv, timeoutMs: 40_000 });
    expect(shown.code).toBe(0);
    expect(shown.stderr).toMatch(/^sidekick: the engine did not answer about .* in time; injections in them are not listed\.$/m);
    expect(shown.stderr).toContain(target.name);
    const listed = JSON.parse((await runCli(['sessions', '--json'], { env: cliEnv, timeoutMs: 40_000 })).stdout.toString()) as { unanswered: Array<{ containerId: string }> };
    expect(listed.unanswered.map((c) => c.containerId)).toContain(target.id);

    upload.stdin!.destroy();
    upload.kill('SIGKILL');
  });
});

/** `sidekick exec TARGET -- sleep 1000` in the background, with this file's key; waits for its sidekick. */
async function backgroundExec(targetId: string): Promise<{ child: ChildProcess; sidekickId: string }> {
  const child = spawn(process.execPath, [CLI_PATH, 'exec', targetId, '--', 'sleep', '1000'], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...cliEnv },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const running = lines(await docker(['ps', '-q', '--no-trunc', '--filter', `label=io.sidekick.target=${targetId}`]));
    if (running.length > 0) {
      containers.push(running[0]!);
      return { child, sidekickId: running[0]! };
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`sidekick exec did not start (exit ${child.exitCode}): ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
