/**
 * Counting a scenario's runs: each run is timed and either holds or fails with the first
 * check that did not; checks made after a group of runs (the target, the host, what is left
 * on the engine) can fail those runs too. At the end the figures are appended to the run's
 * log (figures-setup.ts) and the test fails if any run failed: a scenario is never weakened
 * into a figure.
 */
import { appendFile } from 'node:fs/promises';
import { expect, inject } from 'vitest';
import { summariseTimes, type ScenarioFigures, type StressArea } from './figures.js';

export interface ScenarioSpec {
  id: string;
  area: StressArea;
  scenario: string;
  proves: string;
  file: string;
}

export interface Attempt {
  label: string;
  ms: number;
  failure: string | undefined;
}

const MAX_FAILURES_KEPT = 5;

export class Tally {
  private readonly attempts: Attempt[] = [];
  private readonly started = Date.now();

  constructor(private readonly spec: ScenarioSpec) {}

  /** One run: holds when `body` resolves. Never throws; the failure is counted. */
  async run(label: string, body: () => Promise<void>): Promise<Attempt> {
    const start = performance.now();
    const attempt: Attempt = { label, ms: 0, failure: undefined };
    this.attempts.push(attempt);
    try {
      await body();
    } catch (error) {
      attempt.failure = describe(error);
    }
    attempt.ms = performance.now() - start;
    return attempt;
  }

  /** A run that was timed elsewhere (several CLIs started at once): `check` judges its outcome. */
  async judge(label: string, ms: number, check: () => void | Promise<void>): Promise<Attempt> {
    const attempt: Attempt = { label, ms, failure: undefined };
    this.attempts.push(attempt);
    try {
      await check();
    } catch (error) {
      attempt.failure = describe(error);
    }
    return attempt;
  }

  /** Checks made after `attempts` ran: a failure here fails each of them that still held. */
  async after(attempts: readonly Attempt[], what: string, check: () => Promise<void>): Promise<void> {
    try {
      await check();
    } catch (error) {
      const failure = `${what}: ${describe(error)}`;
      for (const attempt of attempts) attempt.failure ??= failure;
      // A check that fails with no run to blame (setup) is a failed run of its own.
      if (attempts.length === 0) this.attempts.push({ label: what, ms: 0, failure });
    }
  }

  figures(): ScenarioFigures {
    const failed = this.attempts.filter((a) => a.failure !== undefined);
    return {
      ...this.spec,
      runs: this.attempts.length,
      held: this.attempts.length - failed.length,
      failed: failed.length,
      failures: failed.slice(0, MAX_FAILURES_KEPT).map((a) => `${a.label}: ${a.failure}`),
      times: summariseTimes(this.attempts.map((a) => a.ms)),
      wallMs: Date.now() - this.started,
    };
  }

  /** Publishes the figures and fails the test when a run failed. */
  async finish(): Promise<void> {
    const figures = this.figures();
    const log = stressLog();
    if (log !== undefined) await appendFile(log, `${JSON.stringify(figures)}\n`);
    const failures = this.attempts.filter((a) => a.failure !== undefined).map((a) => `${a.label}: ${a.failure}`);
    expect(failures, `${this.spec.id}: ${figures.failed} of ${figures.runs} runs failed`).toEqual([]);
    expect(figures.runs, `${this.spec.id} ran nothing`).toBeGreaterThan(0);
  }
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // One line, bounded: the figures are a table, the test's own output has the rest.
  return text.replace(/\s+/g, ' ').slice(0, 400);
}

/** Absent inside `npm test`, whose setup does not collect figures. */
function stressLog(): string | undefined {
  try {
    return inject('stressLog');
  } catch {
    return undefined;
  }
}
