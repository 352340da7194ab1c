// The pure part of `npm run bench`: tables, the BENCHMARKS.md section and the SVG plots.
// bench/report.mjs bundles it in memory (esbuild) for the plain-node bench scripts.
export * from './markdown.js';
export * from './svg-chart.js';
export type * from './types.js';
