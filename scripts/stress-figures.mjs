// Prints the figures of the last `npm run stress` (docs/stress-last-run.json) as the table of
// docs/RELIABILITY.md, and with --write puts that table into docs/RELIABILITY.md ("Stress: last
// run"). The rendering is stress/figures.ts (type-checked, unit-tested), bundled here by esbuild
// in memory; `npm run stress` does the same at the end of a long run.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const bundled = await build({
  entryPoints: [new URL('stress/figures.ts', root).pathname],
  bundle: true,
  platform: 'node',
  format: 'esm',
  write: false,
  logLevel: 'warning',
});
const figures = await import(`data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString('base64')}`);

const run = JSON.parse(readFileSync(new URL('docs/stress-last-run.json', root), 'utf8'));
const section = figures.renderSection(run);
process.stdout.write(section);
if (process.argv.includes('--write')) {
  const reliability = new URL('docs/RELIABILITY.md', root);
  writeFileSync(reliability, figures.mergeSection(readFileSync(reliability, 'utf8'), section));
  process.stdout.write('written to docs/RELIABILITY.md\n');
}
