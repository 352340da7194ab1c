// Writes the report of a bench run: docs/bench/last-run.json, one SVG per scaling series and
// the generated section of docs/BENCHMARKS.md. The rendering is bench/report/ (type-checked,
// unit-tested in test/bench/), bundled here by esbuild in memory.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

async function loadRenderer() {
  const bundled = await build({
    entryPoints: [fileURLToPath(new URL('report/index.ts', import.meta.url))],
    bundle: true,
    platform: 'node',
    format: 'esm',
    write: false,
    logLevel: 'warning',
  });
  return import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);
}

/** `outDir` holds BENCHMARKS.md; the JSON and the plots go to outDir/bench/. Returns the files written. */
export async function writeReport(run, outDir) {
  const render = await loadRenderer();
  const figures = path.join(outDir, 'bench');
  mkdirSync(figures, { recursive: true });
  const written = [];
  const write = (file, text) => {
    writeFileSync(file, text);
    written.push(file);
  };
  write(path.join(figures, 'last-run.json'), `${JSON.stringify(run, null, 2)}\n`);
  const plots = {};
  for (const series of run.series) {
    const file = `${series.id.replace(/[^a-z0-9-]+/gi, '-')}.svg`;
    write(path.join(figures, file), render.lineChart(series));
    plots[series.id] = `bench/${file}`;
  }
  const doc = path.join(outDir, 'BENCHMARKS.md');
  const before = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n';
  write(doc, render.mergeSection(before, render.renderSection(run, plots)));
  return written;
}

// `node bench/report.mjs [dir]`: writes the plots and the section again from dir/bench/last-run.json
// (default docs/), e.g. after a change to the rendering, without running the bench.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2] ?? fileURLToPath(new URL('../docs/', import.meta.url));
  const run = JSON.parse(readFileSync(path.join(outDir, 'bench', 'last-run.json'), 'utf8'));
  for (const file of await writeReport(run, outDir)) console.log(`wrote ${file}`);
}
