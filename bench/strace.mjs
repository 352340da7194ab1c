// Benchmark of a package toolbox (`exec --tools strace`), issue 10: the time from the command
// to strace's first line ("Process 1 attached") with the toolbox cached, against `docker run
// --pid/--net container:T --cap-add SYS_PTRACE <the same toolbox image> strace …` plus
// `node -e 0` (sidekick is a node program), interleaved in the same run (budget ≤ 1.15×). Also
// the cold build time of the toolbox (`toolbox build --rebuild`: mmdebstrap downloads every
// time). Plain node ESM; runs the built CLI. Removes every container and image it makes.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildScratchServer } from '../scripts/scratch-image.mjs';
import { interleavedMedians, printRow, timeCommand } from './measure.mjs';

const cli = fileURLToPath(new URL('../dist/sidekick.cjs', import.meta.url));
const TRACE = ['strace', '-f', '-e', 'trace=network', '-p', '1'];

function docker(args) {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function imageId(ref) {
  const result = spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** ms from the start of `command` to the first line of its stderr that matches; then it is interrupted and awaited. */
function timeToLine(command, pattern) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let ms;
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (ms === undefined && pattern.test(stderr)) {
        ms = Number(process.hrtime.bigint() - started) / 1e6;
        child.kill('SIGINT');
      }
    });
    child.on('error', reject);
    // Not timed: the next run starts only once this one has ended and cleaned up.
    child.on('close', () => (ms === undefined ? reject(new Error(`${command.join(' ')} ended before its first line:\n${stderr}`)) : resolve(ms)));
  });
}

export async function benchStrace() {
  const runs = Number(process.env.BENCH_RUNS ?? 15);
  const image = `sidekick-bench/strace-server:${process.pid}`;
  const name = `sidekick-bench-strace-${process.pid}`;
  try {
    buildScratchServer(image, 'io.sidekick.bench');
    docker(['run', '-d', '--name', name, '--label', 'io.sidekick.bench=1', image]);

    // Cold: built again from the Debian archive (after a first build, untimed, when there is none);
    // the image it replaces is removed.
    const ensured = spawnSync(process.execPath, [cli, 'toolbox', 'build', '--tools', 'strace'], { encoding: 'utf8' });
    if (ensured.status !== 0) throw new Error(`toolbox build --tools strace failed:\n${ensured.stderr}`);
    const ref = ensured.stdout.trim().split('\n')[0];
    const before = imageId(ref);
    const coldMs = await timeCommand([process.execPath, cli, 'toolbox', 'build', '--rebuild', '--tools', 'strace']);
    const after = imageId(ref);
    if (before !== undefined && before !== after) spawnSync('docker', ['rmi', before], { stdio: 'ignore' });

    const attached = /Process 1 attached/;
    const { nodeMs, dockerMs, sidekickMs } = await interleavedMedians(runs, {
      nodeMs: () => timeCommand([process.execPath, '-e', '0']),
      dockerMs: () => timeToLine(['docker', 'run', '--rm', '--pid', `container:${name}`, '--net', `container:${name}`, '--cap-add', 'SYS_PTRACE', ref, ...TRACE], attached),
      sidekickMs: () => timeToLine([process.execPath, cli, 'exec', '--tools', 'strace', name, '--', ...TRACE], attached),
    });
    console.log(`\nstrace -p 1 with a package toolbox (${runs} interleaved runs, medians; time to "Process 1 attached")`);
    printRow('node -e 0', nodeMs);
    printRow('docker run --pid/--net container:T <toolbox> strace', dockerMs);
    printRow('sidekick exec --tools strace T -- strace', sidekickMs, `${(sidekickMs / (dockerMs + nodeMs)).toFixed(2)}× (docker run + node -e 0) (budget ≤ 1.15×)`);
    printRow('toolbox build --tools strace (cold, mmdebstrap)', coldMs, `${ref}`);
  } finally {
    spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    spawnSync('docker', ['rmi', image], { stdio: 'ignore' });
  }
}

// Run on its own: `node bench/strace.mjs` (after `npm run build`).
if (process.argv[1] === fileURLToPath(import.meta.url)) await benchStrace();
