// Benchmark of `sidekick inspect` (DESIGN.md §5): `inspect --all` over 100 small running
// containers against 100 sequential `docker inspect` calls (budget: faster), and the median
// of `inspect TARGET` beside what it must at least cost — a `docker run` of the toolbox in the
// target's namespaces plus node's own start. Runs interleaved in the same run. Plain node ESM;
// runs the built CLI. Removes every container and image it starts, whatever happens.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildScratchServer } from '../scripts/scratch-image.mjs';
import { defaultToolboxImage, median, printRow, timeCommand } from './measure.mjs';

const cli = fileURLToPath(new URL('../dist/sidekick.cjs', import.meta.url));
const LABEL = 'io.sidekick.bench';

function docker(args) {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function dockerAsync(args) {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`docker ${args.join(' ')}: ${err.trim()}`))));
  });
}

/** Starts `count` containers, a few `docker run`s at a time: the engine serialises much of it anyway. */
async function startContainers(image, prefix, count, started) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const name = `${prefix}-${next++}`;
      started.push(name);
      await dockerAsync(['run', '-d', '--name', name, '--label', `${LABEL}=1`, image]);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

async function timeSequence(commands) {
  let total = 0;
  for (const command of commands) total += await timeCommand(command);
  return total;
}

export async function benchInspect() {
  const runs = Number(process.env.BENCH_INSPECT_RUNS ?? process.env.BENCH_RUNS ?? 5);
  const count = Number(process.env.BENCH_INSPECT_CONTAINERS ?? 100);
  const image = `sidekick-bench/inspect-server:${process.pid}`;
  const prefix = `sidekick-bench-inspect-${process.pid}`;
  const started = [];
  try {
    buildScratchServer(image, LABEL);
    await startContainers(image, prefix, count, started);
    const names = started.slice(0, count);
    const running = docker(['ps', '-q']).split('\n').filter(Boolean).length;
    const toolbox = defaultToolboxImage();
    // Readies (or builds) the toolbox, and checks the command works before timing it.
    spawnSync(process.execPath, [cli, 'inspect', '--all', '--json'], { stdio: ['ignore', 'ignore', 'inherit'] });

    const allTimes = [];
    const dockerTimes = [];
    for (let round = 0; round < runs + 1; round++) {
      const sidekickMs = await timeCommand([process.execPath, cli, 'inspect', '--all', '--json']);
      const dockerMs = await timeSequence(names.map((name) => ['docker', 'inspect', name]));
      if (round === 0) continue; // the first round warms caches
      allTimes.push(sidekickMs);
      dockerTimes.push(dockerMs);
    }
    const allMs = median(allTimes);
    const dockerMs = median(dockerTimes);
    console.log(`\ninspect --all over ${count} containers (${running} running on the engine; ${runs} interleaved runs, medians)`);
    printRow(`${count} sequential docker inspect`, dockerMs);
    printRow('sidekick inspect --all --json', allMs, `${(allMs / dockerMs).toFixed(2)}× (budget < 1.00×: faster)`);

    const target = names[0];
    const single = { node: [], run: [], dockerInspect: [], sidekick: [] };
    for (let round = 0; round < runs * 2 + 1; round++) {
      const nodeMs = await timeCommand([process.execPath, '-e', '0']);
      const runMs = await timeCommand(['docker', 'run', '--rm', '--net', `container:${target}`, '--pid', `container:${target}`, toolbox, 'true']);
      const inspectMs = await timeCommand(['docker', 'inspect', target]);
      const sidekickMs = await timeCommand([process.execPath, cli, 'inspect', '--json', target]);
      if (round === 0) continue;
      single.node.push(nodeMs);
      single.run.push(runMs);
      single.dockerInspect.push(inspectMs);
      single.sidekick.push(sidekickMs);
    }
    const nodeMs = median(single.node);
    const runMs = median(single.run);
    const sidekickMs = median(single.sidekick);
    console.log(`\ninspect TARGET (${runs * 2} interleaved runs, medians)`);
    printRow('node -e 0', nodeMs);
    printRow('docker inspect T', median(single.dockerInspect));
    printRow('docker run --net/--pid container:T <toolbox> true', runMs);
    printRow('sidekick inspect --json T', sidekickMs, `${(sidekickMs / (runMs + nodeMs)).toFixed(2)}× (docker run + node -e 0)`);
  } finally {
    for (let i = 0; i < started.length; i += 50) spawnSync('docker', ['rm', '-f', ...started.slice(i, i + 50)], { stdio: 'ignore' });
    spawnSync('docker', ['rmi', image], { stdio: 'ignore' });
  }
}

// Run on its own: `node bench/inspect.mjs` (after `npm run build`).
if (process.argv[1] === fileURLToPath(import.meta.url)) await benchInspect();
