// Concurrent `sidekick exec T -- true` sessions (1, 10, 50), all against one target and spread
// over 20 targets, against the same number of concurrent `docker run --rm --net/--pid
// container:T <toolbox> true`. That is the fair comparison: the targets are FROM scratch, so
// `docker exec` has nothing to run in them, and a toolbox container in the target's namespaces
// is what sidekick starts for a session (each session is also a node process, which docker's
// side does not pay). The figure is the wall time until the whole batch has ended; rounds
// alternate between the two tools, medians.
import { defaultToolboxImage, median, printRow, timeCommand } from './measure.mjs';
import { startMany } from './start-many.mjs';

async function timeBatch(count, targets, command) {
  const started = process.hrtime.bigint();
  const results = await Promise.allSettled(Array.from({ length: count }, (_, i) => timeCommand(command(targets[i % targets.length]))));
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export async function benchExecScale(ctx) {
  const sizes = ctx.quick ? [1, 2] : [1, 10, 50];
  const spread = ctx.quick ? 2 : 20;
  const toolbox = defaultToolboxImage();
  const all = await startMany(ctx, 'exec-scale', ctx.images.server, 0, spread);
  const modes = [
    { id: 'one', label: 'one target', targets: all.slice(0, 1) },
    { id: 'spread', label: `${spread} targets`, targets: all },
  ];
  const dockerRun = (target) => ['docker', 'run', '--rm', '--net', `container:${target}`, '--pid', `container:${target}`, toolbox, 'true'];
  const sidekickExec = (target) => [process.execPath, ctx.cli, 'exec', target, '--', 'true'];
  // Warms the engine's and the page cache's paths for both tools.
  await timeBatch(1, all, dockerRun);
  await timeBatch(1, all, sidekickExec);
  const rows = [];
  for (const mode of modes) {
    const values = { sidekick: [], docker: [] };
    for (const size of sizes) {
      const rounds = ctx.quick ? 1 : size >= 50 ? 2 : Math.max(3, Math.floor(ctx.runs / 3));
      const times = { sidekick: [], docker: [] };
      for (let round = 0; round < rounds; round++) {
        times.docker.push(await timeBatch(size, mode.targets, dockerRun));
        times.sidekick.push(await timeBatch(size, mode.targets, sidekickExec));
      }
      const [s, d] = [median(times.sidekick), median(times.docker)];
      values.sidekick.push(s);
      values.docker.push(d);
      console.log(`${size} concurrent sessions, ${mode.label} (${rounds} rounds, medians)`);
      printRow(`${size} × docker run --rm --net/--pid container:T <toolbox> true`, d);
      printRow(`${size} × sidekick exec T -- true`, s, `${(s / d).toFixed(2)}×`);
      rows.push({ what: `${size} concurrent \`sidekick exec T -- true\`, ${mode.label}`, unit: 'ms', sidekick: s, against: `${size} concurrent \`docker run --rm --net/--pid container:T <toolbox> true\``, docker: d, better: 'lower' });
    }
    ctx.addSeries({
      id: `exec-scale/${mode.id}`,
      title: `Concurrent exec sessions, ${mode.label}: time until all have ended`,
      xLabel: 'concurrent sessions',
      yLabel: 'ms (median)',
      ratioLabel: 'sidekick ÷ docker',
      x: sizes,
      lines: [
        { name: 'sidekick exec T -- true', values: values.sidekick },
        { name: 'docker run --rm --net/--pid container:T <toolbox> true', values: values.docker },
      ],
    });
  }
  ctx.table({
    id: 'exec-scale',
    title: 'Concurrent exec sessions',
    note: `Wall time until the whole batch has ended. Rounds alternate between the tools (3 per size, 2 at 50; medians). The comparison is \`docker run\` of the toolbox in the target's namespaces, because the targets are FROM scratch (\`docker exec\` would have nothing to run) and that container is what a sidekick session starts; sidekick also starts a node process per session.`,
    rows,
  });
}
