import { describe, expect, it } from 'vitest';
import { escapeXml, lineChart, niceTicks } from '../../bench/report/svg-chart.js';
import type { Series } from '../../bench/report/types.js';

const series = (lines: Series['lines'], x = [10, 100, 300]): Series => ({ id: 'inspect-all', title: 'inspect --all <&> docker', xLabel: 'containers', yLabel: 'ms', x, lines });

/** The points of each polyline, as [x, y] pairs. */
function polylines(svg: string): number[][][] {
  return [...svg.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1]!.split(' ').map((pair) => pair.split(',').map(Number)));
}

describe('niceTicks', () => {
  it('steps by 1, 2 or 5 × 10^k and ends at or above the largest value', () => {
    expect(niceTicks(1234)).toEqual([0, 500, 1000, 1500]);
    expect(niceTicks(9)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0.3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(100)).toEqual([0, 20, 40, 60, 80, 100]);
  });

  it('gives an axis even with no positive value', () => {
    expect(niceTicks(0)).toEqual([0, 1]);
    expect(niceTicks(Number.NaN)).toEqual([0, 1]);
  });
});

describe('lineChart', () => {
  it('draws one line per tool, one point per size, larger values higher up', () => {
    const svg = lineChart(series([
      { name: 'sidekick', values: [100, 400, 1000] },
      { name: 'docker', values: [200, 2000, 6000] },
    ]));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const [sidekick, docker] = polylines(svg);
    expect(sidekick).toHaveLength(3);
    expect(docker).toHaveLength(3);
    // Same x for the same size; in SVG a smaller y is higher on the page.
    expect(sidekick!.map(([x]) => x)).toEqual(docker!.map(([x]) => x));
    for (let i = 0; i < 3; i++) expect(docker![i]![1]!).toBeLessThan(sidekick![i]![1]!);
    expect(sidekick![0]![0]!).toBeLessThan(sidekick![2]![0]!);
    // The axis reaches the largest value (6000 -> ticks up to 6000) and labels it.
    expect(svg).toContain('>6000</text>');
    expect(svg).toContain('>sidekick</text>');
  });

  it('escapes the labels it is given', () => {
    const svg = lineChart(series([{ name: 'a<b>&"c"', values: [1, 2, 3] }]));
    expect(svg).toContain('inspect --all &lt;&amp;&gt; docker');
    expect(svg).toContain('a&lt;b&gt;&amp;&quot;c&quot;');
    expect(svg).not.toContain('a<b>');
    expect(escapeXml('<&>"')).toBe('&lt;&amp;&gt;&quot;');
  });

  it('breaks a line at a missing measurement instead of joining across it', () => {
    const svg = lineChart(series([{ name: 'sidekick', values: [100, null, 300] }]));
    expect(polylines(svg)).toHaveLength(0);
    expect(svg.match(/<circle /g)).toHaveLength(2);
    const joined = lineChart(series([{ name: 'sidekick', values: [100, 200, null] }]));
    expect(polylines(joined)).toHaveLength(1);
    expect(polylines(joined)[0]).toHaveLength(2);
  });

  it('puts a single size in the middle', () => {
    const svg = lineChart(series([{ name: 'only', values: [5] }], [3]));
    const [cx] = [...svg.matchAll(/<circle cx="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(cx).toBeCloseTo(72 + (640 - 72 - 24) / 2, 1);
  });
});

describe('lineChart value labels', () => {
  it('labels the highest point of a size above it and the others below, so that close points stay readable', () => {
    const svg = lineChart(series([
      { name: 'sidekick', values: [1018] },
      { name: 'docker', values: [403] },
    ], [1]));
    const circles = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    const labels = [...svg.matchAll(/<text x="[\d.]+" y="([\d.]+)"[^>]*font-size="10">([\d.]+)<\/text>/g)].map((m) => ({ y: Number(m[1]), text: m[2] }));
    expect(labels.map((l) => l.text)).toEqual(['1018', '403']);
    expect(labels[0]!.y).toBeLessThan(circles[0]!);
    expect(labels[1]!.y).toBeGreaterThan(circles[1]!);
  });
});

describe('lineChart ratios', () => {
  it('shows the first line ÷ the second under each size when asked, a dash where one is missing', () => {
    const lines = [
      { name: 'sidekick', values: [300, 1000, null] },
      { name: 'docker', values: [200, 250, 400] },
    ];
    const svg = lineChart({ ...series(lines), ratioLabel: 'sidekick ÷ docker' });
    const ratios = [...svg.matchAll(/fill="#555555" font-size="11">([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(ratios).toEqual(['1.50×', '4.00×', '–']);
    expect(svg).toContain('containers (in grey: sidekick ÷ docker)');
    expect(lineChart(series(lines))).not.toContain('#555555');
  });
});
