/**
 * vitest globalSetup: checks the machine is ready (scripts/setup.sh prepares it,
 * this only verifies), builds the fixture images, hands their tags to the tests
 * (`inject('fixtures')`), and afterwards proves the whole run left no sidekick
 * object on the engine (docs/RELIABILITY.md, "zero trace").
 */
import { access, constants, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureFixtures, type FixtureImages } from './fixtures/build-fixtures.js';
import { docker, lines, run } from './fixtures/docker-cli.js';
import { startLaneServer } from './lanes/lane-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    fixtures: FixtureImages;
    /** A file the harness appends to when a test target had zombies at its removal. */
    zombieLog: string;
    /** The lane server's socket (test/lanes/lanes.ts), or '' when there is none. */
    laneServer: string;
  }
}

const SESSION_LABEL = 'io.sidekick.session';
/** Containers the test harness starts as debug targets (test/e2e/harness.ts). */
const TEST_TARGET_LABEL = 'io.sidekick.test';
const RUN_SETUP = 'run `npm test` (it runs scripts/setup.sh first) or scripts/setup.sh as root';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  await checkMachine();
  project.provide('fixtures', await ensureFixtures());
  const zombieDir = await mkdtemp(join(tmpdir(), 'sidekick-test-zombies-'));
  const zombieLog = join(zombieDir, 'zombies.log');
  await writeFile(zombieLog, '');
  project.provide('zombieLog', zombieLog);
  const lanes = await startLaneServer();
  project.provide('laneServer', lanes.path);
  return async () => {
    await lanes.close();
    const zombies = (await readFile(zombieLog, 'utf8')).trim();
    await rm(zombieDir, { recursive: true, force: true });
    await teardown();
    if (zombies !== '') throw new Error(`test targets gained zombie processes (a sidekick left them in the target's PID namespace):\n${zombies}`);
  };
}

async function checkMachine(): Promise<void> {
  const engine = await run('docker', ['version', '--format', '{{.Server.APIVersion}}'], { timeoutMs: 15_000 }).catch(
    (e: unknown) => ({ code: -1, stdout: Buffer.alloc(0), stderr: e instanceof Error ? e.message : String(e) }),
  );
  if (engine.code !== 0) {
    const why = firstLine(engine.stderr) || `docker exited ${engine.code}`;
    throw new Error(`no Docker engine answers (${why}): ${RUN_SETUP}`);
  }
  const missing: string[] = [];
  if (!(await executable('/bin/busybox'))) missing.push('/bin/busybox');
  if (!(await executable('/usr/bin/tini-static'))) missing.push('/usr/bin/tini-static');
  for (const tool of ['tmux', 'gcc', 'zsh', 'fish']) if ((await run('sh', ['-c', `command -v ${tool}`])).code !== 0) missing.push(tool);
  if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}: ${RUN_SETUP}`);
}

async function executable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

function firstLine(text: string): string {
  return lines(text)[0] ?? '';
}

/**
 * Removes everything labelled as a sidekick session, then fails the run if there
 * was anything: a test that passes but leaves objects behind is a bug in sidekick.
 * Removing first means the next run starts clean even after a failure.
 */
async function teardown(): Promise<void> {
  // Several developers' runs may share one engine; only CI's run owns it whole.
  if (process.env.SIDEKICK_SHARED_ENGINE === '1') return;
  const found = await sessionLeftovers();
  await removeAll(found);
  await removeTestTargets();
  const described = [
    ...found.containers.map((c) => `container ${c}`),
    ...found.volumes.map((v) => `volume ${v}`),
    ...found.images.map((i) => `image ${i}`),
  ];
  if (described.length > 0) {
    throw new Error(`sidekick left ${described.length} object(s) labelled ${SESSION_LABEL} (now removed): ${described.join('; ')}`);
  }
}

interface Leftovers {
  containers: string[]; // "id name"
  volumes: string[];
  images: string[]; // "id repo:tag"
}

async function sessionLeftovers(): Promise<Leftovers> {
  const filter = ['--filter', `label=${SESSION_LABEL}`];
  const [containers, volumes, images] = await Promise.all([
    docker(['ps', '-a', ...filter, '--format', '{{.ID}} {{.Names}}']),
    docker(['volume', 'ls', ...filter, '--format', '{{.Name}}']),
    docker(['image', 'ls', '-a', ...filter, '--format', '{{.ID}} {{.Repository}}:{{.Tag}}']),
  ]);
  return { containers: lines(containers), volumes: lines(volumes), images: lines(images) };
}

/** Containers first (they hold volumes and images), then volumes, then images. */
async function removeAll(found: Leftovers): Promise<void> {
  const ids = (xs: string[]) => xs.map((x) => x.split(' ')[0]!);
  if (found.containers.length > 0) await run('docker', ['rm', '-f', '-v', ...ids(found.containers)]);
  if (found.volumes.length > 0) await run('docker', ['volume', 'rm', '-f', ...found.volumes]);
  if (found.images.length > 0) await run('docker', ['image', 'rm', '-f', ...new Set(ids(found.images))]);
}

/** Targets a crashed test did not remove are not sidekick's fault: remove them and say so, without failing. */
async function removeTestTargets(): Promise<void> {
  const ids = lines(await docker(['ps', '-aq', '--filter', `label=${TEST_TARGET_LABEL}`]));
  if (ids.length === 0) return;
  console.warn(`global teardown: removing ${ids.length} test target container(s) a test left behind`);
  await run('docker', ['rm', '-f', '-v', ...ids]);
}
