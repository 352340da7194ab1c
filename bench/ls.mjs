// Benchmark of `sidekick ls` (issue 11): `ls T:/` on a target with a 2 GiB bind mount under
// `/` against what it must at least cost, a `docker run` of the toolbox in the target's PID
// namespace listing /proc/1/root plus node's own start, interleaved in the same run
// (budget ≤ 1.15×, whatever the size of the subtree). Plain node ESM; runs the built CLI.
// Removes the container and the directory it makes, whatever happens.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultToolboxImage, interleavedMedians, printRow, timeCommand } from './measure.mjs';

export async function benchLs(ctx) {
  const { runs, cli } = ctx;
  const gib = ctx.quick ? 1 : 2;
  // Sparse files: no disk used, but an archive of the subtree would stream every byte.
  const big = mkdtempSync(path.join(tmpdir(), 'sidekick-bench-ls-'));
  let name;
  try {
    for (let i = 0; i < gib; i++) execFileSync('truncate', ['-s', '1G', path.join(big, `blob-${i}`)]);
    name = ctx.startContainer('ls', ctx.images.server, [], ['-v', `${big}:/big:ro`]);
    // Readies (or builds) the toolbox, and checks the command works before timing it.
    await timeCommand([process.execPath, cli, 'ls', `${name}:/`]);
    const toolbox = defaultToolboxImage();
    const { nodeMs, runMs, sidekickMs } = await interleavedMedians(runs, {
      nodeMs: () => timeCommand([process.execPath, '-e', '0']),
      runMs: () => timeCommand(['docker', 'run', '--rm', '--pid', `container:${name}`, toolbox, 'ls', '-la', '/proc/1/root/']),
      sidekickMs: () => timeCommand([process.execPath, cli, 'ls', `${name}:/`]),
    });
    console.log(`ls T:/ with a ${gib} GiB bind mount under / (${runs} interleaved runs, medians)`);
    printRow('node -e 0', nodeMs);
    printRow('docker run --rm --pid container:T <toolbox> ls -la /proc/1/root/', runMs);
    printRow('sidekick ls T:/', sidekickMs, `${(sidekickMs / (runMs + nodeMs)).toFixed(2)}× (docker run + node -e 0; budget ≤ 1.15×)`);
    ctx.table({
      id: 'ls',
      title: 'ls',
      note: `${runs} interleaved runs after a warm-up, medians. A sparse ${gib} GiB file under a bind mount: an archive of the subtree would stream every byte, a listing must not.`,
      rows: [{ what: `\`sidekick ls T:/\`, ${gib} GiB bind mount under /`, unit: 'ms', sidekick: sidekickMs, against: '`docker run --rm --pid container:T <toolbox> ls -la /proc/1/root/` + `node -e 0`', docker: runMs + nodeMs, better: 'lower', budget: { max: 1.15 } }],
    });
  } finally {
    if (name !== undefined) spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
    rmSync(big, { recursive: true, force: true });
  }
}

