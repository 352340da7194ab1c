/**
 * vitest globalSetup of `npm run stress` (vitest.stress.config.ts): hands the scenarios a file
 * to append their figures to (`inject('stressLog')`), and at the end prints the table. The long
 * form also writes docs/stress-last-run.json and the "Stress: last run" section of
 * docs/RELIABILITY.md; a short or partial run writes neither, so the committed figures are
 * always those of a whole long run.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { run } from '../test/fixtures/docker-cli.js';
import { collectScenarios, mergeSection, parseRecords, renderSection, type StressRun } from './figures.js';
import { MODE } from './mode.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** JSON lines of ScenarioFigures, one per scenario that ran (stress/scenario.ts). */
    stressLog: string;
  }
}

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
export const FIGURES_JSON = join(REPO_ROOT, 'docs/stress-last-run.json');
const RELIABILITY = join(REPO_ROOT, 'docs/RELIABILITY.md');

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'sidekick-stress-figures-'));
  const log = join(dir, 'figures.jsonl');
  await writeFile(log, '');
  project.provide('stressLog', log);
  const startedAt = new Date().toISOString();
  return async () => {
    try {
      const scenarios = collectScenarios(parseRecords(await readFile(log, 'utf8')));
      if (scenarios.length === 0) return;
      const stress: StressRun = { mode: MODE, startedAt, finishedAt: new Date().toISOString(), machine: await machine(), scenarios };
      const section = renderSection(stress);
      console.log(`\n${section}`);
      // Only a complete long run is published: a filtered run (vitest -t, one file) would drop rows.
      if (MODE === 'long' && process.env.SIDEKICK_STRESS_PUBLISH !== '0') {
        await writeFile(FIGURES_JSON, `${JSON.stringify(stress, null, 2)}\n`);
        await writeFile(RELIABILITY, mergeSection(await readFile(RELIABILITY, 'utf8'), section));
        console.log(`figures written to ${FIGURES_JSON} and docs/RELIABILITY.md`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

async function machine(): Promise<string> {
  const kernel = (await run('uname', ['-sr'])).stdout.toString().trim();
  const engine = (await run('docker', ['version', '--format', '{{.Server.Version}}'])).stdout.toString().trim();
  return `${kernel}, Docker ${engine}, ${cpus().length} CPUs (shared)`;
}
