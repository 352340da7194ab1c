/**
 * The figures of a stress run: one record per scenario (how many runs held, how many failed,
 * how long they took), kept as JSON and rendered as the "Stress: last run" section of
 * docs/RELIABILITY.md. Pure functions only; the files are read and written by figures-setup.ts.
 */
import type { StressMode } from './mode.js';

export type StressArea = 'load' | 'faults' | 'engine' | 'hostile';

export interface TimeSummary {
  minMs: number;
  medianMs: number;
  maxMs: number;
}

export interface ScenarioFigures {
  /** Stable key, e.g. "load/exec-one-target". */
  id: string;
  area: StressArea;
  scenario: string;
  proves: string;
  /** Where the scenario is written (file path from the repository root). */
  file: string;
  runs: number;
  held: number;
  failed: number;
  /** The first few failures, one line each. */
  failures: string[];
  /** Per run; undefined when nothing ran. */
  times: TimeSummary | undefined;
  wallMs: number;
}

export interface StressRun {
  mode: StressMode;
  startedAt: string;
  finishedAt: string;
  /** `uname -sr`, the engine's version and the CPU count: what the times were measured on. */
  machine: string;
  scenarios: ScenarioFigures[];
}

export function summariseTimes(times: readonly number[]): TimeSummary | undefined {
  if (times.length === 0) return undefined;
  const sorted = [...times].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { minMs: Math.round(sorted[0]!), medianMs: Math.round(median), maxMs: Math.round(sorted[sorted.length - 1]!) };
}

/** Records in the order of the areas, then of their ids; a later record of an id replaces an earlier one. */
export function collectScenarios(records: readonly ScenarioFigures[]): ScenarioFigures[] {
  const byId = new Map<string, ScenarioFigures>();
  for (const record of records) byId.set(record.id, record);
  const order: StressArea[] = ['load', 'faults', 'engine', 'hostile'];
  return [...byId.values()].sort((a, b) => order.indexOf(a.area) - order.indexOf(b.area) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function parseRecords(jsonLines: string): ScenarioFigures[] {
  return jsonLines
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ScenarioFigures);
}

export const SECTION_HEADING = '## Stress: last run';

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The section, heading included, ending with one newline. */
export function renderSection(run: StressRun): string {
  const total = run.scenarios.reduce((sum, s) => ({ runs: sum.runs + s.runs, failed: sum.failed + s.failed }), { runs: 0, failed: 0 });
  const out = [
    SECTION_HEADING,
    '',
    `Written by \`npm run stress\` (${run.mode} form) from docs/stress-last-run.json; do not edit by hand.`,
    `Run ${run.startedAt} to ${run.finishedAt} on ${run.machine}: ${run.scenarios.length} scenarios, ${total.runs} runs, ${total.failed} failed.`,
    'A run holds when every check after it passed: the command\'s own outcome, no sidekick object (io.sidekick.target of the',
    'target) left, the target\'s `docker diff`, PID 1 and process count as before, no zombie in its PID namespace, and the host',
    'paths named by the scenario untouched. Times are per run (min / median / max) and for the whole scenario.',
    '',
    '| scenario | what it proves | runs | held / failed | per run (min / median / max) | whole |',
    '|---|---|---|---|---|---|',
  ];
  for (const s of run.scenarios) {
    const times = s.times === undefined ? '–' : `${seconds(s.times.minMs)} / ${seconds(s.times.medianMs)} / ${seconds(s.times.maxMs)}`;
    out.push(`| ${cell(s.scenario)} (\`${s.file}\`) | ${cell(s.proves)} | ${s.runs} | ${s.held} / ${s.failed} | ${times} | ${seconds(s.wallMs)} |`);
  }
  const failing = run.scenarios.filter((s) => s.failed > 0);
  if (failing.length > 0) {
    out.push('', 'Failures (first of each):', '');
    for (const s of failing) for (const failure of s.failures) out.push(`- ${s.id}: ${cell(failure)}`);
  }
  return `${out.join('\n')}\n`;
}

/** Replaces the section in the document (up to the next heading of its level), or appends it. */
export function mergeSection(document: string, section: string): string {
  const start = document.indexOf(`\n${SECTION_HEADING}\n`);
  if (start === -1) return `${document.replace(/\n*$/, '')}\n\n${section}`;
  const from = start + 1;
  const next = document.indexOf('\n## ', from + SECTION_HEADING.length);
  const rest = next === -1 ? '' : `\n${document.slice(next + 1)}`;
  return `${document.slice(0, from)}${section}${rest}`;
}
