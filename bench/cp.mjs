// `sidekick cp` of one 1 GiB file into a FROM-scratch target and back out, against `docker cp`
// of the same file to and from the same target, alternating, in the same run. Each copy
// overwrites the previous one; the size that arrived is checked after every copy.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultToolboxImage as defaultToolbox, median, printRow, timeCommand } from './measure.mjs';
import { docker } from './steps.mjs';

export async function benchCp(ctx) {
  const mib = ctx.quick ? 16 : 1024;
  const runs = ctx.quick ? 1 : Math.max(3, Math.floor(ctx.runs / 3));
  const dir = mkdtempSync(path.join(tmpdir(), 'sidekick-bench-cp-'));
  try {
    const source = path.join(dir, 'source.bin');
    // Random bytes: nothing on the way can shortcut zeros.
    execFileSync('sh', ['-c', `head -c ${mib}M /dev/urandom > "$1"`, 'sh', source]);
    const target = ctx.startContainer('cp', ctx.images.server);
    const bytes = mib * 1024 * 1024;
    const sizeInTarget = (file) => Number(docker(['run', '--rm', '--pid', `container:${target}`, defaultToolbox(), 'stat', '-c', '%s', `/proc/1/root${file}`]));
    const checkHost = (file) => {
      const size = statSync(file).size;
      if (size !== bytes) throw new Error(`${file}: ${size} of ${bytes} bytes arrived`);
      rmSync(file);
    };
    const times = { sidekickIn: [], dockerIn: [], sidekickOut: [], dockerOut: [] };
    // No warm-up round: the source was just written (page cache), and a 1 GiB round costs a minute on 2 cores.
    for (let round = 0; round < runs; round++) {
      const t = {
        dockerIn: await timeCommand(['docker', 'cp', source, `${target}:/in-docker`]),
        sidekickIn: await timeCommand([process.execPath, ctx.cli, 'cp', source, `${target}:/in-sidekick`]),
        dockerOut: await timeCommand(['docker', 'cp', `${target}:/in-docker`, path.join(dir, 'out-docker')]),
        sidekickOut: await timeCommand([process.execPath, ctx.cli, 'cp', `${target}:/in-sidekick`, path.join(dir, 'out-sidekick')]),
      };
      checkHost(path.join(dir, 'out-docker'));
      checkHost(path.join(dir, 'out-sidekick'));
      if (round === 0) for (const file of ['/in-docker', '/in-sidekick']) if (sizeInTarget(file) !== bytes) throw new Error(`${file} in the target is not ${bytes} bytes`);
      for (const key of Object.keys(times)) times[key].push(t[key]);
    }
    const m = Object.fromEntries(Object.entries(times).map(([key, values]) => [key, median(values)]));
    const rate = (ms) => mib / (ms / 1000);
    console.log(`cp of ${mib} MiB each way (${runs} interleaved runs, medians)`);
    printRow('docker cp FILE T:/', m.dockerIn, `${rate(m.dockerIn).toFixed(0)} MiB/s`);
    printRow('sidekick cp FILE T:/', m.sidekickIn, `${rate(m.sidekickIn).toFixed(0)} MiB/s, ${(m.sidekickIn / m.dockerIn).toFixed(2)}×`);
    printRow('docker cp T:/FILE host', m.dockerOut, `${rate(m.dockerOut).toFixed(0)} MiB/s`);
    printRow('sidekick cp T:/FILE host', m.sidekickOut, `${rate(m.sidekickOut).toFixed(0)} MiB/s, ${(m.sidekickOut / m.dockerOut).toFixed(2)}×`);
    const size = mib >= 1024 ? `${mib / 1024} GiB` : `${mib} MiB`;
    ctx.table({
      id: 'cp',
      title: `cp of ${size} each way`,
      note: `One file of random bytes, into a FROM-scratch target and back out to the host, each copy overwriting the last; ${runs} interleaved runs (no warm-up: the source is in the page cache), medians (time includes each tool's start). Sizes are checked after every copy.`,
      rows: [
        { what: `\`sidekick cp FILE T:/PATH\`, ${size} (${rate(m.sidekickIn).toFixed(0)} MiB/s)`, unit: 'ms', sidekick: m.sidekickIn, against: `\`docker cp FILE T:/PATH\` (${rate(m.dockerIn).toFixed(0)} MiB/s)`, docker: m.dockerIn, better: 'lower' },
        { what: `\`sidekick cp T:/PATH FILE\`, ${size} (${rate(m.sidekickOut).toFixed(0)} MiB/s)`, unit: 'ms', sidekick: m.sidekickOut, against: `\`docker cp T:/PATH FILE\` (${rate(m.dockerOut).toFixed(0)} MiB/s)`, docker: m.dockerOut, better: 'lower' },
      ],
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
