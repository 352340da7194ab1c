import { describe, expect, it } from 'vitest';
import { BEGIN_MARK, END_MARK, budgetCell, formatValue, markdownTable, mergeSection, renderSection, renderTable } from '../../bench/report/markdown.js';
import type { BenchRun, FigureRow, FigureTable } from '../../bench/report/types.js';

const row = (over: Partial<FigureRow> = {}): FigureRow => ({ what: '`sidekick cp`', unit: 'ms', sidekick: 1500, against: '`docker cp`', docker: 1000, better: 'lower', ...over });

const table: FigureTable = { id: 'cp', title: 'cp of 1 GiB each way', note: 'Three runs.', rows: [row({ budget: { max: 1.3 } })] };

const run: BenchRun = {
  machine: { date: '2026-12-01T07:05:09.123Z', cpus: 2, cpuModel: 'Test CPU', memoryGiB: 23.4, kernel: '6.1.0', docker: '20.10.24', node: 'v20.20.2', loadAtStart: 1.5, loadAtEnd: 2.25 },
  settings: { runs: 9, quick: false, note: 'Other helpers were running tests.' },
  steps: [
    { name: 'prepare', status: 'ok', seconds: 4.2 },
    { name: 'cp', status: 'failed', seconds: 12, error: 'docker run: exec: "/x": no such file' },
    { name: 'ls', status: 'skipped', seconds: 0 },
  ],
  tables: [table, { id: 'inspect-all', title: 'inspect --all', note: 'n', rows: [row()] }],
  series: [
    { id: 'inspect-all', title: 'inspect --all by size', xLabel: 'containers', yLabel: 'ms', x: [10], lines: [{ name: 's', values: [1] }] },
    { id: 'inspect-allx', title: 'not this table', xLabel: '', yLabel: '', x: [1], lines: [] },
  ],
};

describe('bench report tables', () => {
  it('formats values by unit', () => {
    expect(formatValue(1234.56, 'ms')).toBe('1235 ms');
    expect(formatValue(12.34, 'ms')).toBe('12.3 ms');
    expect(formatValue(512.4, 'MiB/s')).toBe('512 MiB/s');
    expect(formatValue(3.21, 'MiB/s')).toBe('3.2 MiB/s');
    expect(formatValue(7.1, 's')).toBe('7.10 s');
  });

  it('writes a markdown table, escaping pipes and padding short rows', () => {
    expect(markdownTable(['a', 'b'], [['x|y', 'z'], ['only']])).toBe('| a | b |\n|---|---|\n| x\\|y | z |\n| only |  |');
  });

  it('judges the ratio sidekick ÷ docker against the budget, either way', () => {
    expect(budgetCell(row({ budget: { max: 1.3 } }))).toBe('≤ 1.30× — **over**');
    expect(budgetCell(row({ budget: { max: 1.5 } }))).toBe('≤ 1.50× — met');
    expect(budgetCell(row({ unit: 'MiB/s', better: 'higher', sidekick: 300, docker: 600, budget: { min: 0.5 } }))).toBe('≥ 0.50× — met');
    expect(budgetCell(row({ unit: 'MiB/s', better: 'higher', sidekick: 200, docker: 600, budget: { min: 0.5 } }))).toBe('≥ 0.50× — **over**');
    expect(budgetCell(row())).toBe('');
    expect(budgetCell(row({ docker: undefined, budget: { max: 1 } }))).toBe('≤ 1.00×');
  });

  it('puts sidekick and docker side by side with their ratio', () => {
    const text = renderTable(table);
    expect(text.split('\n')).toEqual([
      '### cp of 1 GiB each way',
      '',
      'Three runs.',
      '',
      '| what | sidekick | docker CLI, same work, same run | sidekick ÷ docker | budget |',
      '|---|---|---|---|---|',
      '| `sidekick cp` | 1500 ms | `docker cp`: 1000 ms | 1.50× | ≤ 1.30× — **over** |',
    ]);
    expect(renderTable({ ...table, rows: [row({ unit: 'MiB/s', better: 'higher', sidekick: 300, docker: 600 })] })).toContain('| 0.50× (higher is better) |');
  });
});

describe('bench report section', () => {
  const section = renderSection(run, { 'inspect-all': 'bench/inspect-all.svg', 'inspect-allx': 'bench/x.svg' });

  it('starts with the machine and how to reproduce, then the steps and tables', () => {
    expect(section.startsWith(`${BEGIN_MARK}\n`)).toBe(true);
    expect(section.trimEnd().endsWith(END_MARK)).toBe(true);
    expect(section).toContain('## Last run — 2026-12-01 07:05 UTC');
    expect(section).toContain('| 2 × Test CPU | 23.4 GiB | 6.1.0 | 20.10.24 | v20.20.2 | 1.50 → 2.25 |');
    expect(section).toContain('Other helpers were running tests.');
    expect(section).toContain("`npm run bench` (it runs scripts/setup.sh and builds first; this run's steps took 0 minutes)");
    expect(section).toContain('| cp | **failed**: docker run: exec: "/x": no such file | 12 s |');
    expect(section).toContain('| ls | skipped |  |');
    const order = ['### The machine', '### How to reproduce', '### Steps', '### cp of 1 GiB each way', '### inspect --all'].map((h) => section.indexOf(h));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  it("embeds each table's plots under it, and only its own", () => {
    expect(section).toContain('![inspect --all by size](bench/inspect-all.svg)');
    expect(section).not.toContain('bench/x.svg');
    expect(section.indexOf('![inspect --all by size]')).toBeGreaterThan(section.indexOf('### inspect --all'));
  });

  it('replaces the generated section and keeps what is around it', () => {
    const doc = `# Benchmarks\n\n${BEGIN_MARK}\nold figures\n${END_MARK}\n\n# History\n\n## Earlier run\nkept\n`;
    const merged = mergeSection(doc, section);
    expect(merged).not.toContain('old figures');
    expect(merged.startsWith(`# Benchmarks\n\n${section}`)).toBe(true);
    expect(merged.endsWith('\n# History\n\n## Earlier run\nkept\n')).toBe(true);
    // Merging again changes nothing.
    expect(mergeSection(merged, section)).toBe(merged);
  });

  it('puts the section under the title of a document that has none yet', () => {
    const merged = mergeSection('# Benchmarks\n\n## Earlier run\nkept\n', section);
    expect(merged.startsWith(`# Benchmarks\n\n${section}`)).toBe(true);
    expect(merged).toContain('## Earlier run\nkept\n');
    expect(mergeSection('no title\n', section)).toBe(`${section}\nno title\n`);
  });
});
