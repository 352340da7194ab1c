// Benchmark of `sidekick inject` + `sidekick eject` (busybox toolbox) against the plain docker
// CLI doing the same work — `docker cp` of the same busybox, `docker exec T <it> rm` — plus two
// `node -e 0` (sidekick is two node processes), interleaved in the same run (DESIGN.md §5,
// budget ≤ 1.3×). Also, when today's Debian rootfs is cached (test/fixtures/debian-rootfs.ts),
// an `inject --os` of it against `docker cp` of the same tar into an equal target, and — the
// engine's own floor for writing that many entries — `docker cp -` of the entries sidekick
// writes (the tar without /dev and the engine's /etc mounts: unpacking it whole with
// `docker cp -` fails outright, it collides with the engine's /etc/hostname mount).
// Plain node ESM; runs the built CLI. Cleans up every container and image it starts.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, openSync, closeSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildScratchServer } from '../scripts/scratch-image.mjs';
import { median, printRow, timeCommand } from './measure.mjs';

const cli = fileURLToPath(new URL('../dist/sidekick.cjs', import.meta.url));
const DEBIAN_CACHE = process.env.SIDEKICK_TEST_CACHE ?? '/var/cache/sidekick-test';

function docker(args) {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

async function timeSequence(commands) {
  let total = 0;
  for (const command of commands) total += await timeCommand(command);
  return total;
}

/** `docker cp rootfs.tar T:/`: the same bytes through the same archive API, with nothing to plan or skip. */
function timeDockerCpTar(tar, container) {
  return timeCommand(['docker', 'cp', tar, `${container}:/rootfs.tar`]);
}

/** `docker cp - T:/` of `tar` (fed on stdin): the engine unpacks every entry, as for sidekick. */
function timeDockerCpUnpack(tar, container) {
  const fd = openSync(tar, 'r');
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('docker', ['cp', '-', `${container}:/`], { stdio: [fd, 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      closeSync(fd);
      if (code !== 0) reject(new Error(`docker cp - exited ${code}: ${stderr.trim()}`));
      else resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
  });
}

/** The rootfs without what sidekick never writes into a fresh target (/dev entries, the engine's /etc mounts); undefined without GNU tar. */
function plannedEntriesTar(tar, work) {
  const copy = join(work, 'planned.tar');
  copyFileSync(tar, copy);
  const result = spawnSync('tar', ['--delete', '-f', copy, '--wildcards', './dev/*', './etc/hostname', './etc/hosts', './etc/resolv.conf'], { stdio: 'ignore' });
  // Status 2 only says that a name was not in the archive (Debian has no /etc/hosts).
  return result.status === 0 || result.status === 2 ? copy : undefined;
}

function newestDebianTar() {
  if (!existsSync(DEBIAN_CACHE)) return undefined;
  const tars = readdirSync(DEBIAN_CACHE).filter((name) => /^debian-bookworm-apt-\d{4}-\d\d-\d\d\.tar$/.test(name)).sort();
  return tars.length > 0 ? join(DEBIAN_CACHE, tars[tars.length - 1]) : undefined;
}

export async function benchInject() {
  const runs = Number(process.env.BENCH_RUNS ?? 15);
  const image = `sidekick-bench/inject-server:${process.pid}`;
  const started = [];
  const work = mkdtempSync(join(tmpdir(), 'sidekick-bench-inject-'));
  const run = (name) => {
    docker(['run', '-d', '--name', name, '--label', 'io.sidekick.bench=1', image]);
    started.push(name);
    return name;
  };
  try {
    buildScratchServer(image, 'io.sidekick.bench');
    const target = run(`sidekick-bench-inject-${process.pid}`);
    const busybox = existsSync('/bin/busybox') ? '/bin/busybox' : '/usr/bin/busybox';
    const sidekickTimes = [];
    const dockerTimes = [];
    for (let round = 0; round < runs + 1; round++) {
      const sidekickMs = await timeSequence([
        [process.execPath, cli, 'inject', target],
        [process.execPath, cli, 'eject', target],
      ]);
      const dockerMs = await timeSequence([
        ['docker', 'cp', busybox, `${target}:/busybox`],
        ['docker', 'exec', target, '/busybox', 'rm', '/busybox'],
        [process.execPath, '-e', '0'],
        [process.execPath, '-e', '0'],
      ]);
      if (round === 0) continue; // the first round warms caches
      sidekickTimes.push(sidekickMs);
      dockerTimes.push(dockerMs);
    }
    const sidekickMs = median(sidekickTimes);
    const dockerMs = median(dockerTimes);
    console.log(`\ninject + eject of busybox (${runs} interleaved runs, medians)`);
    printRow('docker cp busybox + docker exec T <it> rm + 2× node -e 0', dockerMs);
    printRow('sidekick inject T + sidekick eject T', sidekickMs, `${(sidekickMs / dockerMs).toFixed(2)}× (budget ≤ 1.30×)`);

    const tar = newestDebianTar();
    if (tar === undefined) {
      console.log('  inject --os: skipped (no cached Debian rootfs; the inject-os tests build one)');
      return;
    }
    const osRuns = Number(process.env.BENCH_OS_RUNS ?? Math.max(3, Math.floor(runs / 5)));
    const planned = plannedEntriesTar(tar, work);
    const viaSidekick = [];
    const viaDocker = [];
    const viaUnpack = [];
    for (let i = 0; i < osRuns; i++) {
      const a = run(`sidekick-bench-os-a-${process.pid}-${i}`);
      const b = run(`sidekick-bench-os-b-${process.pid}-${i}`);
      const c = planned ? run(`sidekick-bench-os-c-${process.pid}-${i}`) : undefined;
      viaSidekick.push(await timeCommand([process.execPath, cli, 'inject', '--os', tar, a]));
      viaDocker.push(await timeDockerCpTar(tar, b));
      if (c) viaUnpack.push(await timeDockerCpUnpack(planned, c));
      spawnSync('docker', ['rm', '-f', a, b, ...(c ? [c] : [])], { stdio: 'ignore' });
    }
    const osSidekick = median(viaSidekick);
    const osDocker = median(viaDocker);
    console.log(`\ninject --os of the Debian rootfs (${osRuns} interleaved runs each, fresh targets, medians)`);
    printRow('docker cp rootfs.tar T:/rootfs.tar', osDocker);
    if (planned) {
      const osUnpack = median(viaUnpack);
      printRow('docker cp - T:/ < the entries sidekick writes', osUnpack, `${(osUnpack / osDocker).toFixed(2)}× docker cp (the engine's unpacking alone)`);
      printRow('sidekick inject --os rootfs.tar T', osSidekick, `${(osSidekick / osDocker).toFixed(2)}× docker cp, ${(osSidekick / osUnpack).toFixed(2)}× docker cp - (budget ≤ 1.50× docker cp)`);
    } else {
      printRow('sidekick inject --os rootfs.tar T', osSidekick, `${(osSidekick / osDocker).toFixed(2)}× docker cp (budget ≤ 1.50×)`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
    if (started.length > 0) spawnSync('docker', ['rm', '-f', ...started], { stdio: 'ignore' });
    spawnSync('docker', ['rmi', image], { stdio: 'ignore' });
  }
}

// Run directly (node bench/inject.mjs) as well as imported by bench/run.mjs.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await benchInject();
