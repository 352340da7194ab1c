// The step runner of `npm run bench`: a context whose docker helpers label every object with
// the run (io.sidekick.bench=<run id>) and the step, one plain line naming a step that fails
// (the other steps still run), removal by label after each step, at the end and on a signal.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { liveChildren, stopChildren } from './measure.mjs';

export const RUN_LABEL = 'io.sidekick.bench';
export const STEP_LABEL = 'io.sidekick.bench.step';
export const cli = fileURLToPath(new URL('../dist/sidekick.cjs', import.meta.url));

/** docker's own error line, without its "docker: " prefix and its "Run 'docker … --help'" advice. */
function dockerSaid(stderr) {
  const line = stderr.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith("Run 'docker")) ?? '';
  return line.replace(/^docker: /, '');
}

/** Runs the docker CLI and returns its output; a failure says which subcommand and what docker said. */
export function docker(args, input) {
  try {
    return execFileSync('docker', args, { encoding: 'utf8', input, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], maxBuffer: 64 << 20 }).trim();
  } catch (error) {
    throw new Error(`docker ${args[0]}: ${dockerSaid(String(error.stderr ?? '')) || error.message}`);
  }
}

export function dockerAsync(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`docker ${args[0]}: ${dockerSaid(err)}`))));
  });
}

/** The first non-empty line of an error, short enough for one line of output. */
export function firstLine(error) {
  const text = error instanceof Error ? error.message : String(error);
  const line = text.split('\n').map((l) => l.trim()).find(Boolean) ?? 'unknown error';
  return line.length > 240 ? `${line.slice(0, 237)}...` : line;
}

/**
 * The bench's view of one run. `startContainer` is how steps start containers: labelled, named
 * after the run, and the place where BENCH_FAIL_STEP makes the step fail the way a real `docker
 * run` does (the container is created, its start fails, a `Created` container stays behind).
 */
export function createContext({ runId, runs, quick, failStep }) {
  const ctx = {
    runId,
    runs,
    quick,
    cli,
    step: undefined,
    failStep,
    failureInjected: false,
    stopping: false,
    images: {},
    tables: [],
    series: [],
    labelArgs() {
      return ['--label', `${RUN_LABEL}=${runId}`, '--label', `${STEP_LABEL}=${ctx.step}`];
    },
    name(suffix) {
      return `sidekick-bench-${runId}-${suffix}`;
    },
    runArgs(suffix, image, command = [], options = []) {
      if (ctx.stopping) throw new Error('the bench is stopping');
      const inject = ctx.failStep === ctx.step && !ctx.failureInjected;
      if (inject) ctx.failureInjected = true;
      const entrypoint = inject ? ['--entrypoint', '/bench-injected-failure'] : [];
      return ['run', '-d', '--name', ctx.name(suffix), ...ctx.labelArgs(), ...entrypoint, ...options, image, ...command];
    },
    /** `docker run -d`; returns the container's name. */
    startContainer(suffix, image, command, options) {
      docker(ctx.runArgs(suffix, image, command, options));
      return ctx.name(suffix);
    },
    async startContainerAsync(suffix, image, command, options) {
      await dockerAsync(ctx.runArgs(suffix, image, command, options));
      return ctx.name(suffix);
    },
    table(table) {
      ctx.tables.push(table);
    },
    addSeries(series) {
      ctx.series.push(series);
    },
  };
  return ctx;
}

function listed(args) {
  const result = spawnSync('docker', args, { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.split('\n').map((l) => l.trim()).filter(Boolean) : [];
}

/** Removes the containers, then the volumes and images, that carry every one of `labels`; returns how many. */
export function removeLabelled(labels) {
  const filters = labels.flatMap((label) => ['--filter', `label=${label}`]);
  const containers = listed(['ps', '-aq', ...filters]);
  for (let i = 0; i < containers.length; i += 100) spawnSync('docker', ['rm', '-f', '-v', ...containers.slice(i, i + 100)], { stdio: 'ignore' });
  const volumes = listed(['volume', 'ls', '-q', ...filters]);
  if (volumes.length > 0) spawnSync('docker', ['volume', 'rm', '-f', ...volumes], { stdio: 'ignore' });
  const images = [...new Set(listed(['image', 'ls', '-aq', ...filters]))];
  if (images.length > 0) spawnSync('docker', ['rmi', '-f', ...images], { stdio: 'ignore' });
  return containers.length + volumes.length + images.length;
}

export function removeStepObjects(runId, step) {
  return removeLabelled([`${RUN_LABEL}=${runId}`, `${STEP_LABEL}=${step}`]);
}

export function removeRunObjects(runId) {
  return removeLabelled([`${RUN_LABEL}=${runId}`]);
}

/**
 * Runs the steps in order. A failed step is named on one line of stderr and the next step
 * runs, unless it was a `required` one (the others need what it makes). Returns the outcomes.
 */
export async function runSteps(ctx, steps, only) {
  const outcomes = [];
  let stopped = false;
  for (const step of steps) {
    if (stopped || (only !== undefined && !step.required && !only.includes(step.name))) {
      outcomes.push({ name: step.name, status: 'skipped', seconds: 0 });
      continue;
    }
    console.log(`\n== ${step.name}: ${step.title}`);
    ctx.step = step.name;
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      await step.run(ctx);
      if (ctx.failStep === step.name && !ctx.failureInjected) throw new Error('failure injected by BENCH_FAIL_STEP');
      outcomes.push({ name: step.name, status: 'ok', seconds: seconds() });
    } catch (error) {
      const message = firstLine(error);
      console.error(`bench: step ${step.name} failed: ${message}`);
      outcomes.push({ name: step.name, status: 'failed', seconds: seconds(), error: message });
      if (step.required) stopped = true;
    } finally {
      // The run's shared images are made by the required step and stay until the end.
      if (!step.required) removeStepObjects(ctx.runId, step.name);
    }
  }
  ctx.step = undefined;
  return outcomes;
}

/**
 * On SIGINT/SIGTERM/SIGHUP: stop the children (sidekick cleans its own sessions when
 * interrupted), wait for them a little, remove every object of the run, exit 128+signal.
 */
export function cleanUpOnSignals(ctx) {
  const statuses = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  for (const signal of Object.keys(statuses)) {
    process.on(signal, () => {
      if (ctx.stopping) return;
      ctx.stopping = true;
      console.error(`bench: ${signal} during step ${ctx.step ?? '(none)'}; removing what this run made`);
      stopChildren();
      const deadline = Date.now() + 15_000;
      const finish = () => {
        if (liveChildren.size > 0 && Date.now() < deadline) return void setTimeout(finish, 100);
        removeRunObjects(ctx.runId);
        process.exit(statuses[signal]);
      };
      finish();
    });
  }
}
