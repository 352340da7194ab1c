// Benchmark of `sidekick ls` (issue 11): `ls T:/` on a target with a 2 GiB bind mount under
// `/` against what it must at least cost, a `docker run` of the toolbox in the target's PID
// namespace listing /proc/1/root plus node's own start, interleaved in the same run
// (budget ≤ 1.15×, whatever the size of the subtree). Plain node ESM; runs the built CLI.
// Removes the container, the image and the directory it makes, whatever happens.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildScratchServer } from '../scripts/scratch-image.mjs';
import { interleavedMedians, printRow, timeCommand } from './measure.mjs';

const cli = fileURLToPath(new URL('../dist/sidekick.cjs', import.meta.url));
const LABEL = 'io.sidekick.bench';

function docker(args) {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export async function benchLs() {
  const runs = Number(process.env.BENCH_LS_RUNS ?? process.env.BENCH_RUNS ?? 10);
  const gib = Number(process.env.BENCH_LS_GIB ?? 2);
  const image = `sidekick-bench/ls-server:${process.pid}`;
  const name = `sidekick-bench-ls-${process.pid}`;
  // Sparse files: no disk used, but an archive of the subtree would stream every byte.
  const big = mkdtempSync(path.join(tmpdir(), 'sidekick-bench-ls-'));
  try {
    for (let i = 0; i < gib; i++) execFileSync('truncate', ['-s', '1G', path.join(big, `blob-${i}`)]);
    buildScratchServer(image, LABEL);
    docker(['run', '-d', '--name', name, '--label', `${LABEL}=1`, '-v', `${big}:/big:ro`, image]);
    // Readies (or builds) the toolbox, and checks the command works before timing it.
    spawnSync(process.execPath, [cli, 'ls', `${name}:/`], { stdio: ['ignore', 'ignore', 'inherit'] });
    const toolbox = docker(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=sidekick-toolbox']).split('\n')[0];
    const { nodeMs, runMs, sidekickMs } = await interleavedMedians(runs, {
      nodeMs: () => timeCommand([process.execPath, '-e', '0']),
      runMs: () => timeCommand(['docker', 'run', '--rm', '--pid', `container:${name}`, toolbox, 'ls', '-la', '/proc/1/root/']),
      sidekickMs: () => timeCommand([process.execPath, cli, 'ls', `${name}:/`]),
    });
    console.log(`\nls T:/ with a ${gib} GiB bind mount under / (${runs} interleaved runs, medians)`);
    printRow('node -e 0', nodeMs);
    printRow('docker run --rm --pid container:T <toolbox> ls -la /proc/1/root/', runMs);
    printRow('sidekick ls T:/', sidekickMs, `${(sidekickMs / (runMs + nodeMs)).toFixed(2)}× (docker run + node -e 0; budget ≤ 1.15×)`);
  } finally {
    spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    spawnSync('docker', ['rmi', image], { stdio: 'ignore' });
    rmSync(big, { recursive: true, force: true });
  }
}

// Run on its own: `node bench/ls.mjs` (after `npm run build`).
if (process.argv[1] === fileURLToPath(import.meta.url)) await benchLs();
