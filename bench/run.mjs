// `npm run bench`: sidekick side by side with the plain docker CLI doing the same work in the
// same run, runs interleaved so that load on the machine hits both alike; medians and ratios of
// medians. Not a test: it never fails on a slow figure, only on a step that could not run.
// Writes docs/bench/last-run.json, the plots (docs/bench/*.svg) and the generated section of
// docs/BENCHMARKS.md (bench/report.mjs). Environment: see that section, "How to reproduce".
import { cpus, loadavg, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { benchCp } from './cp.mjs';
import { benchExecScale } from './exec-scale.mjs';
import { buildStaticImage } from './images.mjs';
import { benchInject } from './inject.mjs';
import { benchInspectAll, benchInspectTarget } from './inspect.mjs';
import { benchLs } from './ls.mjs';
import { defaultToolboxImage, timeCommand } from './measure.mjs';
import { benchPortForward } from './port-forward.mjs';
import { writeReport } from './report.mjs';
import { benchStart, benchStdout } from './start.mjs';
import { benchStrace } from './strace.mjs';
import { cleanUpOnSignals, createContext, docker, removeRunObjects, runSteps } from './steps.mjs';

const quick = process.env.BENCH_QUICK === '1';
const runs = quick ? 1 : Number(process.env.BENCH_RUNS ?? 9);
const runId = process.env.BENCH_RUN_ID ?? `${Date.now().toString(36)}-${process.pid}`;
const only = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
// Quick figures are not worth committing: written only where asked.
const outDir = process.env.BENCH_OUT ?? (quick ? undefined : fileURLToPath(new URL('../docs/', import.meta.url)));

/** The run's target images, and the toolbox (built by one `sidekick exec` if this machine has none yet). */
async function prepare(ctx) {
  ctx.images.server = buildStaticImage(ctx, `sidekick-bench/server:${runId}`, 'scratch-server.c', ['-DBODY="hello from the bench\\n"']);
  ctx.images.tcpServer = buildStaticImage(ctx, `sidekick-bench/tcp-server:${runId}`, 'tcp-server.c');
  const warm = ctx.startContainer('prepare', ctx.images.server);
  try {
    await timeCommand([process.execPath, ctx.cli, 'exec', warm, '--', 'true']);
  } finally {
    docker(['rm', '-f', warm]);
  }
  if (defaultToolboxImage() === undefined) throw new Error('no sidekick-toolbox image after a first `sidekick exec`');
}

const steps = [
  { name: 'prepare', title: 'target images and the toolbox', required: true, run: prepare },
  { name: 'start', title: 'start and exec', run: benchStart },
  { name: 'stdout', title: 'stdout throughput', run: benchStdout },
  { name: 'exec-scale', title: 'concurrent exec sessions', run: benchExecScale },
  { name: 'inspect', title: 'inspect TARGET', run: benchInspectTarget },
  { name: 'inspect-all', title: 'inspect --all at 10, 100, 300 containers', run: benchInspectAll },
  { name: 'port-forward', title: 'port-forward, one and many connections', run: benchPortForward },
  { name: 'cp', title: 'cp of 1 GiB each way', run: benchCp },
  { name: 'inject', title: 'inject and eject', run: benchInject },
  { name: 'ls', title: 'ls of a target with a large subtree', run: benchLs },
  { name: 'strace', title: 'a package toolbox', run: benchStrace },
];
const unknown = (only ?? []).filter((name) => !steps.some((step) => step.name === name));
if (unknown.length > 0) {
  console.error(`bench: no step named ${unknown.join(', ')} (steps: ${steps.map((s) => s.name).join(', ')})`);
  process.exit(2);
}

function machine(date) {
  return {
    date,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: totalmem() / 1024 ** 3,
    kernel: release(),
    docker: `${docker(['version', '--format', '{{.Server.Version}} (API {{.Server.APIVersion}})'])}, ${docker(['info', '--format', '{{.Driver}}, cgroup v{{.CgroupVersion}}'])}`,
    node: process.version,
    loadAtStart: loadavg()[0],
    loadAtEnd: loadavg()[0],
  };
}

const ctx = createContext({ runId, runs, quick, failStep: process.env.BENCH_FAIL_STEP });
cleanUpOnSignals(ctx);
console.log(`bench run ${runId}: objects labelled io.sidekick.bench=${runId}; ${quick ? 'quick mode' : `BENCH_RUNS=${runs}`}`);
const run = { machine: machine(new Date().toISOString()), settings: { runs, quick, only, note: process.env.BENCH_NOTE }, steps: [], tables: [], series: [] };
try {
  run.steps = await runSteps(ctx, steps, only);
} finally {
  const left = removeRunObjects(runId);
  if (left > 0) console.log(`bench: removed ${left} object(s) of this run`);
}
run.machine.loadAtEnd = loadavg()[0];
run.tables = ctx.tables;
run.series = ctx.series;
if (outDir !== undefined) {
  const written = await writeReport(run, outDir);
  console.log(`\nbench: wrote ${written.length} files under ${outDir}`);
}
const failed = run.steps.filter((step) => step.status === 'failed');
if (failed.length > 0) {
  console.error(`bench: ${failed.length} step(s) failed: ${failed.map((step) => step.name).join(', ')}`);
  process.exitCode = 1;
}
