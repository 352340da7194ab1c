// `npm run bench`: sidekick side by side with the plain docker CLI doing the same work in
// the same run, runs interleaved so that load on the machine hits both alike. Prints
// medians and ratios of medians against DESIGN.md §5's budgets. Not a test: it never fails
// on a slow figure.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildScratchServer } from '../scripts/scratch-image.mjs';
import { defaultToolboxImage, median, printRow, timeCommand } from './measure.mjs';

const cli = fileURLToPath(new URL('../dist/sidekick.cjs', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 15);
const image = 'sidekick-bench/server:latest';
const name = `sidekick-bench-${process.pid}`;

function docker(args) {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Runs every command once per round, in turn, and returns the timings of each. */
async function interleaved(commands) {
  const times = commands.map(() => []);
  for (let round = 0; round < runs + 1; round++) {
    for (const [i, command] of commands.entries()) {
      const ms = await timeCommand(command);
      if (round > 0) times[i].push(ms); // the first round warms caches
    }
  }
  return times.map(median);
}

/** Time for `command` to stream `bytes` of zeros to us; the bytes are counted, not kept. */
function timeStream(command, bytes) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
    let received = 0;
    child.stdout.on('data', (chunk) => (received += chunk.length));
    child.on('error', reject);
    child.on('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (received !== bytes) reject(new Error(`${command.join(' ')} delivered ${received} of ${bytes} bytes`));
      else resolve(ms);
    });
  });
}

async function benchExec() {
  const toolbox = defaultToolboxImage();
  const [nodeStart, version, help, execHelp, sessions, inspect, inspectJson, dockerRun, sidekickExec] = await interleaved([
    [process.execPath, '-e', '0'],
    [process.execPath, cli, '--version'],
    // Real commands, not the --version fast path: the command line, and a command's bundle with the engine client.
    [process.execPath, cli, '--help'],
    [process.execPath, cli, 'exec', '--help'],
    [process.execPath, cli, 'sessions'],
    [process.execPath, cli, 'inspect', name],
    [process.execPath, cli, 'inspect', '--json', name],
    ['docker', 'run', '--rm', '--net', `container:${name}`, '--pid', `container:${name}`, toolbox, 'true'],
    [process.execPath, cli, 'exec', name, '--', 'true'],
  ]);
  const againstNode = (ms, budget) => `${(ms / nodeStart).toFixed(2)}× node -e 0 (budget ≤ ${budget.toFixed(2)}×)${ms / nodeStart > budget ? ' — over' : ''}`;
  const againstRun = (ms, budget) => `${(ms / (dockerRun + nodeStart)).toFixed(2)}× (docker run + node -e 0) (budget ≤ ${budget.toFixed(2)}×)${ms / (dockerRun + nodeStart) > budget ? ' — over' : ''}`;
  console.log(`\nstart and exec (${runs} interleaved runs, medians)`);
  printRow('node -e 0', nodeStart);
  printRow('sidekick --version', version, againstNode(version, 1.3));
  printRow('sidekick --help', help, againstNode(help, 1.2));
  printRow('sidekick exec --help', execHelp, againstNode(execHelp, 1.2));
  printRow('sidekick sessions', sessions, againstNode(sessions, 1.2));
  printRow('docker run --net/--pid container:T <toolbox> true', dockerRun);
  printRow('sidekick inspect T', inspect, againstRun(inspect, 1.3));
  printRow('sidekick inspect --json T', inspectJson, againstRun(inspectJson, 1.3));
  printRow('sidekick exec T -- true', sidekickExec, againstRun(sidekickExec, 1.1));

  const bytes = 256 * 1024 * 1024;
  const produce = ['head', '-c', String(bytes), '/dev/zero'];
  const streamRuns = Math.max(3, Math.floor(runs / 3));
  const viaDocker = [];
  const viaSidekick = [];
  for (let i = 0; i < streamRuns; i++) {
    viaDocker.push(await timeStream(['docker', 'run', '--rm', '--net', `container:${name}`, '--pid', `container:${name}`, toolbox, ...produce], bytes));
    viaSidekick.push(await timeStream([process.execPath, cli, 'exec', name, '--', ...produce], bytes));
  }
  const dockerMs = median(viaDocker);
  const sidekickMs = median(viaSidekick);
  const mib = bytes / 1024 / 1024;
  console.log(`\nstdout throughput, 256 MiB (${streamRuns} runs each, medians)`);
  printRow('docker run', dockerMs, `${(mib / (dockerMs / 1000)).toFixed(0)} MiB/s`);
  printRow('sidekick exec', sidekickMs, `${(mib / (sidekickMs / 1000)).toFixed(0)} MiB/s, ${(dockerMs / sidekickMs).toFixed(2)}× docker's throughput (budget ≥ 0.80×)`);
}

async function optional(file, exportName) {
  const url = new URL(file, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return;
  const module = await import(url.href);
  if (typeof module[exportName] === 'function') await module[exportName]();
}

try {
  buildScratchServer(image, 'io.sidekick.bench');
  docker(['run', '-d', '--name', name, '--label', 'io.sidekick.bench=1', image]);
  // One exec builds the toolbox image if this machine has none yet.
  spawnSync(process.execPath, [cli, 'exec', name, '--', 'true'], { stdio: 'inherit' });
  await benchExec();
} finally {
  spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  spawnSync('docker', ['rmi', image], { stdio: 'ignore' });
}
await optional('./inject.mjs', 'benchInject');
await optional('./inspect.mjs', 'benchInspect');
await optional('./port-forward.mjs', 'benchPortForward');
await optional('./ls.mjs', 'benchLs');
await optional('./strace.mjs', 'benchStrace');
