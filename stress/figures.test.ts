import { describe, expect, it } from 'vitest';
import { collectScenarios, mergeSection, parseRecords, renderSection, summariseTimes, type ScenarioFigures } from './figures.js';

const figure = (id: string, area: ScenarioFigures['area'], failed = 0): ScenarioFigures => ({
  id,
  area,
  scenario: `scenario ${id}`,
  proves: 'a | b',
  file: 'stress/x.stress.ts',
  runs: 4,
  held: 4 - failed,
  failed,
  failures: failed > 0 ? ['exit 1\nsecond line'] : [],
  times: { minMs: 100, medianMs: 1500, maxMs: 12_345 },
  wallMs: 60_000,
});

describe('stress figures', () => {
  it('summarises times as min, median and max', () => {
    expect(summariseTimes([])).toBeUndefined();
    expect(summariseTimes([3, 1, 2])).toEqual({ minMs: 1, medianMs: 2, maxMs: 3 });
    expect(summariseTimes([4, 1, 2, 3])).toEqual({ minMs: 1, medianMs: 3, maxMs: 4 });
  });

  it('orders scenarios by area then id, a later record replacing an earlier one', () => {
    const records = parseRecords([figure('hostile/a', 'hostile'), figure('load/b', 'load'), figure('faults/c', 'faults'), figure('load/b', 'load', 1)].map((f) => JSON.stringify(f)).join('\n') + '\n');
    const collected = collectScenarios(records);
    expect(collected.map((s) => s.id)).toEqual(['load/b', 'faults/c', 'hostile/a']);
    expect(collected[0]!.failed).toBe(1);
  });

  it('renders a table with escaped cells and the failures', () => {
    const section = renderSection({ mode: 'long', startedAt: 'S', finishedAt: 'F', machine: 'M', scenarios: [figure('load/b', 'load', 1)] });
    expect(section).toContain('| scenario load/b (`stress/x.stress.ts`) | a \\| b | 4 | 3 / 1 | 0.10 s / 1.50 s / 12.3 s | 60.0 s |');
    expect(section).toContain('- load/b: exit 1 second line');
    expect(section).toContain('1 scenarios, 4 runs, 1 failed.');
    expect(section.endsWith('\n')).toBe(true);
  });

  it('replaces the section in place, keeping what follows, or appends it', () => {
    const section = '## Stress: last run\n\nnew\n';
    expect(mergeSection('# T\n\n## A\n\na\n', section)).toBe('# T\n\n## A\n\na\n\n## Stress: last run\n\nnew\n');
    expect(mergeSection('# T\n\n## Stress: last run\n\nold\n| x |\n\n## B\n\nb\n', section)).toBe('# T\n\n## Stress: last run\n\nnew\n\n## B\n\nb\n');
    expect(mergeSection('# T\n\n## Stress: last run\n\nold\n', section)).toBe('# T\n\n## Stress: last run\n\nnew\n');
  });
});
