// `sidekick inspect`: `inspect --all` as the number of containers grows (10, 100, 300 of ours,
// plus whatever else runs on the engine), against the docker CLI reading the same containers
// both ways a script would — one `docker inspect` per container, and `docker ps -q` + one
// `docker inspect` of them all (the engine half of the work only: no /proc is read) — and
// `inspect TARGET` against its floor, `docker run` of the toolbox in the target's namespaces
// plus `node -e 0`. Interleaved in the same run, medians.
import { defaultToolboxImage, interleavedMedians, printRow, timeCommand } from './measure.mjs';
import { startMany } from './start-many.mjs';
import { docker } from './steps.mjs';

// Other runs on a shared engine start and remove containers meanwhile: one listed by `docker
// ps` may be gone by the time it is inspected, which costs docker the same work.
const GONE = /No such object/;
// The project's budget for `inspect --all` (faster than a `docker inspect` per container) is set
// at 100 containers. Below that the one container start that reads every /proc (~0.4 s here)
// costs more than a few inspects do, and the row is shown without a budget.
const BUDGET_FROM = 100;

async function timeSequence(commands) {
  let total = 0;
  for (const command of commands) total += await timeCommand(command, GONE);
  return total;
}

export async function benchInspectTarget(ctx) {
  const target = ctx.startContainer('inspect', ctx.images.server);
  const toolbox = defaultToolboxImage();
  const m = await interleavedMedians(ctx.runs, {
    node: () => timeCommand([process.execPath, '-e', '0']),
    run: () => timeCommand(['docker', 'run', '--rm', '--net', `container:${target}`, '--pid', `container:${target}`, toolbox, 'true']),
    dockerInspect: () => timeCommand(['docker', 'inspect', target]),
    sidekick: () => timeCommand([process.execPath, ctx.cli, 'inspect', '--json', target]),
  });
  console.log(`inspect TARGET (${ctx.runs} interleaved runs, medians)`);
  printRow('docker inspect T', m.dockerInspect);
  printRow('docker run --net/--pid container:T <toolbox> true + node -e 0', m.run + m.node);
  printRow('sidekick inspect --json T', m.sidekick, `${(m.sidekick / (m.run + m.node)).toFixed(2)}×`);
  ctx.table({
    id: 'inspect',
    title: 'inspect TARGET',
    note: `${ctx.runs} interleaved runs, medians. \`docker inspect T\` (engine only, no /proc): ${m.dockerInspect.toFixed(0)} ms. The floor is a container start in the target's namespaces plus node's start.`,
    rows: [{ what: '`sidekick inspect --json T`', unit: 'ms', sidekick: m.sidekick, against: '`docker run --rm --net/--pid container:T <toolbox> true` + `node -e 0`', docker: m.run + m.node, better: 'lower', budget: { max: 1.3 } }],
  });
}

export async function benchInspectAll(ctx) {
  const sizes = ctx.quick ? [3] : [10, 100, 300];
  // 300 containers take minutes to inspect one by one on 2 cores: fewer rounds at the larger sizes.
  const roundsAt = (size) => (ctx.quick ? 1 : size >= 100 ? 2 : Math.max(2, Math.floor(ctx.runs / 3)));
  const rows = [];
  const lines = { sidekick: [], each: [], once: [] };
  const totals = [];
  let started = 0;
  // Readies (or builds) the toolbox, and checks the command works before timing it.
  await timeCommand([process.execPath, ctx.cli, 'inspect', '--all', '--json']);
  for (const size of sizes) {
    await startMany(ctx, 'inspect-all', ctx.images.server, started, size);
    started = size;
    const running = () => docker(['ps', '-q']).split('\n').filter(Boolean);
    const total = running().length;
    totals.push(total);
    const runs = roundsAt(size);
    // The first size warms the caches; the next ones add containers to the same work.
    const m = await interleavedMedians(runs, {
      sidekick: () => timeCommand([process.execPath, ctx.cli, 'inspect', '--all', '--json']),
      each: async () => {
        const listedMs = await timeCommand(['docker', 'ps', '-q']);
        return listedMs + (await timeSequence(running().map((id) => ['docker', 'inspect', id])));
      },
      once: async () => {
        const listedMs = await timeCommand(['docker', 'ps', '-q']);
        return listedMs + (await timeCommand(['docker', 'inspect', ...running()], GONE));
      },
    }, { warmUp: size === sizes[0] });
    console.log(`inspect --all with ${size} bench containers (${total} running on the engine; ${runs} interleaved runs, medians)`);
    printRow(`docker ps -q + ${total} × docker inspect`, m.each);
    printRow(`docker ps -q + docker inspect <all ${total}>`, m.once);
    printRow('sidekick inspect --all --json', m.sidekick, `${(m.sidekick / m.each).toFixed(2)}× the first, ${(m.sidekick / m.once).toFixed(2)}× the second`);
    lines.sidekick.push(m.sidekick);
    lines.each.push(m.each);
    lines.once.push(m.once);
    rows.push(
      { what: `\`sidekick inspect --all --json\`, ${size} containers (${total} running)`, unit: 'ms', sidekick: m.sidekick, against: `\`docker ps -q\` + ${total} × \`docker inspect\``, docker: m.each, better: 'lower', ...(size >= BUDGET_FROM ? { budget: { max: 1 } } : {}) },
      { what: `the same, ${size} containers`, unit: 'ms', sidekick: m.sidekick, against: `\`docker ps -q\` + one \`docker inspect\` of all ${total}`, docker: m.once, better: 'lower' },
    );
  }
  ctx.table({
    id: 'inspect-all',
    title: '`inspect --all` as containers grow',
    note: `${sizes.map(roundsAt).join(', ')} interleaved runs at ${sizes.join(', ')} containers (a warm-up round at the first size), medians. \`inspect --all\` covers every running container on the engine, other sessions' too (the "running" count). The docker side is what a script would do: one \`docker inspect\` per container (the fair comparison: a report per container), and, as a floor, one \`docker inspect\` of them all, which reads only the engine's side (no /proc: no user, sockets or capabilities in effect). The budget, faster than a \`docker inspect\` per container, holds from ${BUDGET_FROM} containers (the project's; below that, sidekick's one container start costs more than a few inspects).`,
    rows,
  });
  ctx.addSeries({
    id: 'inspect-all',
    title: 'inspect --all: wall time by number of bench containers',
    xLabel: `bench containers (running on the engine: ${totals.join(', ')})`,
    yLabel: 'ms (median)',
    ratioLabel: 'sidekick ÷ N × docker inspect',
    x: sizes,
    lines: [
      { name: 'sidekick inspect --all --json', values: lines.sidekick },
      { name: 'docker ps -q + N × docker inspect', values: lines.each },
      { name: 'docker ps -q + docker inspect <all>', values: lines.once },
    ],
  });
}
