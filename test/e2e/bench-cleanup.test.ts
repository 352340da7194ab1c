/**
 * `npm run bench` leaves nothing behind when a step fails or the run is interrupted, and names
 * the step (issue 12; docs/BENCHMARKS.md, "How to reproduce"). The bench runs for real against
 * the engine, in quick mode, with BENCH_FAIL_STEP making a step's first `docker run` fail the
 * way a real one does: the container is created, its start fails, a `Created` container and the
 * run's images stay until the bench removes them by the run's label.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { docker, lines, run } from '../fixtures/docker-cli.js';
import { REPO_ROOT } from './harness.js';

const BENCH = join(REPO_ROOT, 'bench', 'run.mjs');

interface Left {
  containers: string[];
  images: string[];
}

async function labelledBy(runId: string): Promise<Left> {
  const filter = ['--filter', `label=io.sidekick.bench=${runId}`];
  const [containers, images] = await Promise.all([
    docker(['ps', '-a', ...filter, '--format', '{{.Names}} {{.Status}}']),
    docker(['image', 'ls', '-a', ...filter, '--format', '{{.Repository}}:{{.Tag}}']),
  ]);
  return { containers: lines(containers), images: lines(images) };
}

describe('npm run bench cleanup', () => {
  const runIds: string[] = [];
  const dirs: string[] = [];
  const newRun = async () => {
    const runId = `t${randomBytes(4).toString('hex')}`;
    runIds.push(runId);
    const out = await mkdtemp(join(tmpdir(), 'sidekick-bench-test-'));
    dirs.push(out);
    const env = { ...process.env, BENCH_QUICK: '1', BENCH_RUN_ID: runId, BENCH_OUT: out };
    return { runId, out, env };
  };

  afterEach(async () => {
    // Whatever a failed assertion left: removed here, by the same label, so the engine stays clean.
    for (const runId of runIds.splice(0)) {
      const left = await labelledBy(runId);
      const names = left.containers.map((c) => c.split(' ')[0]!);
      if (names.length > 0) await run('docker', ['rm', '-f', ...names]);
      if (left.images.length > 0) await run('docker', ['rmi', '-f', ...left.images]);
    }
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('names a step that fails, goes on with the next, exits 1 and leaves nothing labelled by its run', async () => {
    const { runId, out, env } = await newRun();
    const result = await run(process.execPath, [BENCH], { env: { ...env, BENCH_ONLY: 'start,inspect', BENCH_FAIL_STEP: 'start' }, timeoutMs: 300_000 });

    expect(result.code, result.stderr).toBe(1);
    const failures = lines(result.stderr).filter((line) => line.startsWith('bench: step '));
    expect(failures).toHaveLength(1);
    // One plain line: the step, the docker subcommand and what docker said about the start.
    expect(failures[0]).toMatch(/^bench: step start failed: docker run: .*bench-injected-failure/);
    expect(result.stderr).toContain('bench: 1 step(s) failed: start');

    const report = JSON.parse(await readFile(join(out, 'bench', 'last-run.json'), 'utf8')) as {
      steps: { name: string; status: string; error?: string }[];
      tables: { id: string }[];
    };
    expect(report.steps.find((s) => s.name === 'start')).toMatchObject({ status: 'failed' });
    expect(report.steps.find((s) => s.name === 'inspect')).toMatchObject({ status: 'ok' });
    expect(report.tables.map((t) => t.id)).toEqual(['inspect']);
    expect(await readFile(join(out, 'BENCHMARKS.md'), 'utf8')).toContain('| start | **failed**: docker run:');

    expect(await labelledBy(runId)).toEqual({ containers: [], images: [] });
  });

  it('on SIGTERM in the middle of a step, stops, names the step and removes everything of its run', async () => {
    const { runId, env } = await newRun();
    const child = spawn(process.execPath, [BENCH], { env: { ...env, BENCH_ONLY: 'exec-scale' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

    // Interrupted once the step has its targets: the cleanup then has something to remove.
    const stepLabel = ['--filter', `label=io.sidekick.bench=${runId}`, '--filter', 'label=io.sidekick.bench.step=exec-scale'];
    let seen: string[] = [];
    while (seen.length === 0 && child.exitCode === null) seen = lines(await docker(['ps', '-aq', ...stepLabel]));
    expect(seen.length, `the step ended before it started a target:\n${stderr}`).toBeGreaterThan(0);
    child.kill('SIGTERM');

    expect(await exited, stderr).toBe(143);
    expect(stderr).toMatch(/^bench: SIGTERM during step exec-scale; removing what this run made$/m);
    expect(await labelledBy(runId)).toEqual({ containers: [], images: [] });
  });
});
