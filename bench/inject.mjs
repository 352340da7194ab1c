// Benchmark of `sidekick inject` + `sidekick eject` (busybox toolbox) against the plain docker
// CLI doing the same work — `docker cp` of the same busybox, `docker exec T <it> rm` — plus two
// `node -e 0` (sidekick is two node processes), interleaved in the same run (docs/BENCHMARKS.md,
// budget ≤ 1.3×). Also, when today's Debian rootfs is cached (test/fixtures/debian-rootfs.ts),
// an `inject --os` of it against `docker cp` of the same tar into an equal target, and — the
// engine's own floor for writing that many entries — `docker cp -` of the entries sidekick
// writes (the tar without /dev and the engine's /etc mounts: unpacking it whole with
// `docker cp -` fails outright, it collides with the engine's /etc/hostname mount).
// Plain node ESM; runs the built CLI. Cleans up every container and image it starts.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median, printRow, timeCommand } from './measure.mjs';

const DEBIAN_CACHE = process.env.SIDEKICK_TEST_CACHE ?? '/var/cache/sidekick-test';

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

export async function benchInject(ctx) {
  const { runs, cli } = ctx;
  const target = ctx.startContainer('inject', ctx.images.server);
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
  console.log(`inject + eject of busybox (${runs} interleaved runs, medians)`);
  printRow('docker cp busybox + docker exec T <it> rm + 2× node -e 0', dockerMs);
  printRow('sidekick inject T + sidekick eject T', sidekickMs, `${(sidekickMs / dockerMs).toFixed(2)}× (budget ≤ 1.30×)`);
  const rows = [
    { what: '`sidekick inject T` + `sidekick eject T` (busybox)', unit: 'ms', sidekick: sidekickMs, against: '`docker cp` busybox + `docker exec T /busybox rm` + 2 × `node -e 0`', docker: dockerMs, better: 'lower', budget: { max: 1.3 } },
  ];
  let osNote = '';
  const tar = newestDebianTar();
  if (ctx.quick || tar === undefined) {
    osNote = ctx.quick ? ' `inject --os`: skipped in quick mode.' : ' `inject --os`: skipped (no cached Debian rootfs; the inject-os tests build one).';
    console.log(`  inject --os: skipped`);
  } else {
    const osRuns = Math.max(3, Math.floor(runs / 5));
    const work = mkdtempSync(join(tmpdir(), 'sidekick-bench-inject-'));
    try {
      const planned = plannedEntriesTar(tar, work);
      const viaSidekick = [];
      const viaDocker = [];
      const viaUnpack = [];
      for (let i = 0; i < osRuns; i++) {
        const a = ctx.startContainer(`inject-os-a-${i}`, ctx.images.server);
        viaSidekick.push(await timeCommand([process.execPath, cli, 'inject', '--os', tar, a]));
        const b = ctx.startContainer(`inject-os-b-${i}`, ctx.images.server);
        viaDocker.push(await timeDockerCpTar(tar, b));
        const c = planned ? ctx.startContainer(`inject-os-c-${i}`, ctx.images.server) : undefined;
        if (c) viaUnpack.push(await timeDockerCpUnpack(planned, c));
        spawnSync('docker', ['rm', '-f', a, b, ...(c ? [c] : [])], { stdio: 'ignore' });
      }
      const osSidekick = median(viaSidekick);
      const osDocker = median(viaDocker);
      console.log(`inject --os of the Debian rootfs (${osRuns} runs each, fresh targets, medians)`);
      printRow('docker cp rootfs.tar T:/rootfs.tar', osDocker);
      printRow('sidekick inject --os rootfs.tar T', osSidekick, `${(osSidekick / osDocker).toFixed(2)}× docker cp`);
      osNote = ` \`inject --os\`: ${osRuns} runs each into fresh targets, medians (unpacking with \`docker cp -\` fails on the engine's /etc/hostname mount, so docker's side copies the tar as one file).`;
      rows.push({ what: '`sidekick inject --os rootfs.tar T` (Debian, cached)', unit: 'ms', sidekick: osSidekick, against: '`docker cp rootfs.tar T:/rootfs.tar`', docker: osDocker, better: 'lower', budget: { max: 1.5 } });
      if (viaUnpack.length > 0) {
        const osUnpack = median(viaUnpack);
        printRow('docker cp - (the entries sidekick writes, unpacked by the engine)', osUnpack, `sidekick ${(osSidekick / osUnpack).toFixed(2)}× this floor`);
        osNote += ' The engine\'s own floor for that many entries is `docker cp -` of the entries sidekick writes (the tar without /dev and the engine\'s /etc mounts).';
        rows.push({ what: '`sidekick inject --os rootfs.tar T`, against the engine unpacking the same entries', unit: 'ms', sidekick: osSidekick, against: '`docker cp - T:/` of the planned entries', docker: osUnpack, better: 'lower' });
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }
  ctx.table({
    id: 'inject',
    title: 'inject and eject',
    note: `${runs} interleaved runs after a warm-up, medians (sidekick is two node processes here, hence the two \`node -e 0\`).${osNote}`,
    rows,
  });
}
