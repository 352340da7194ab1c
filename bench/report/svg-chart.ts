// A line chart as a standalone SVG document, written by hand so that the bench needs no
// plotting dependency: one line per tool, the sizes of a scaling series evenly spaced on the
// x axis (10, 100, 300 read better as steps than to scale), a linear y axis from zero.
import type { Series } from './types.js';

const WIDTH = 640;
const HEIGHT = 380;
const MARGIN = { top: 40, right: 24, bottom: 76, left: 72 };
const COLOURS = ['#1f6fb4', '#e07b18', '#5b8c2a', '#8e44ad', '#7f7f7f'];

/** Round numbers for the y axis: the smallest 1, 2 or 5 × 10^k step giving at most `count` intervals. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? 10 * magnitude;
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    const tick = Number((i * step).toPrecision(12));
    ticks.push(tick);
    if (tick >= max) return ticks;
  }
}

export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function formatTick(value: number): string {
  if (value >= 10_000) return `${value / 1000}k`;
  return String(value);
}

function formatPoint(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

export function lineChart(series: Series): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const values = series.lines.flatMap((line) => line.values.filter((v): v is number => v !== null && Number.isFinite(v)));
  const ticks = niceTicks(Math.max(0, ...values));
  const top = ticks[ticks.length - 1]!;
  // Inset from the axes so that the first and last points' labels clear them.
  const inset = 32;
  const xAt = (i: number) => MARGIN.left + (series.x.length === 1 ? plotWidth / 2 : inset + (i * (plotWidth - 2 * inset)) / (series.x.length - 1));
  const yAt = (v: number) => MARGIN.top + plotHeight - (v / top) * plotHeight;
  const px = (n: number) => n.toFixed(1);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
  out.push(`<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(series.title)}</text>`);
  for (const tick of ticks) {
    const y = px(yAt(tick));
    out.push(`<line x1="${MARGIN.left}" y1="${y}" x2="${WIDTH - MARGIN.right}" y2="${y}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${MARGIN.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(tick)}</text>`);
  }
  for (const [i, x] of series.x.entries()) {
    out.push(`<text x="${px(xAt(i))}" y="${HEIGHT - MARGIN.bottom + 18}" text-anchor="middle">${formatTick(x)}</text>`);
  }
  const [first, second] = series.lines;
  if (series.ratioLabel !== undefined && first !== undefined && second !== undefined) {
    for (const [i] of series.x.entries()) {
      const [a, b] = [first.values[i], second.values[i]];
      const ratio = a != null && b != null && b > 0 ? `${(a / b).toFixed(2)}×` : '–';
      out.push(`<text x="${px(xAt(i))}" y="${HEIGHT - MARGIN.bottom + 36}" text-anchor="middle" fill="#555555" font-size="11">${ratio}</text>`);
    }
  }
  out.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top + plotHeight}" x2="${WIDTH - MARGIN.right}" y2="${MARGIN.top + plotHeight}" stroke="#333333"/>`);
  out.push(`<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotHeight}" stroke="#333333"/>`);
  const xLabel = series.ratioLabel === undefined ? series.xLabel : `${series.xLabel} (in grey: ${series.ratioLabel})`;
  out.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 14}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  out.push(`<text x="16" y="${MARGIN.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 16 ${MARGIN.top + plotHeight / 2})">${escapeXml(series.yLabel)}</text>`);

  for (const [n, line] of series.lines.entries()) {
    const colour = COLOURS[n % COLOURS.length]!;
    // A missing measurement breaks the line rather than joining its neighbours.
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) out.push(`<polyline fill="none" stroke="${colour}" stroke-width="2" points="${run.join(' ')}"/>`);
      run = [];
    };
    for (const [i, value] of line.values.entries()) {
      if (value === null || !Number.isFinite(value) || i >= series.x.length) {
        flush();
        continue;
      }
      const [x, y] = [px(xAt(i)), px(yAt(value))];
      run.push(`${x},${y}`);
      out.push(`<circle cx="${x}" cy="${y}" r="3.5" fill="${colour}"><title>${escapeXml(`${line.name}: ${formatPoint(value)} at ${series.x[i]}`)}</title></circle>`);
      // The highest point of a size gets its label above, the others below, so that close points keep readable labels.
      const highest = series.lines.every((other) => (other.values[i] ?? -Infinity) <= value);
      const axis = MARGIN.top + plotHeight;
      const below = yAt(value) + 16;
      const [labelX, labelY, anchor] = highest ? [x, px(yAt(value) - 8), 'middle'] : below <= axis - 4 ? [x, px(below), 'middle'] : [px(xAt(i) + 7), px(yAt(value) + 4), 'start'];
      out.push(`<text x="${labelX}" y="${labelY}" text-anchor="${anchor}" fill="${colour}" font-size="10">${formatPoint(value)}</text>`);
    }
    flush();
    const legendY = MARGIN.top + 4 + n * 16;
    out.push(`<rect x="${MARGIN.left + 10}" y="${legendY}" width="12" height="3" fill="${colour}"/>`);
    out.push(`<text x="${MARGIN.left + 28}" y="${legendY + 2}" dominant-baseline="middle">${escapeXml(line.name)}</text>`);
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
