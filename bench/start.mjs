// `sidekick exec T -- true` and `--version` against their floor: `docker run` of the toolbox in
// the target's namespaces plus `node -e 0` (sidekick is a node program), interleaved in the same
// run (docs/BENCHMARKS.md); and stdout throughput of `exec` against `docker run` of the same command.
import { spawn } from 'node:child_process';
import { defaultToolboxImage, interleavedMedians, median, printRow, timeCommand, track } from './measure.mjs';

/** Time for `command` to stream `bytes` to us; the bytes are counted, not kept. */
function timeStream(command, bytes) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = track(spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] }));
    let received = 0;
    child.stdout.on('data', (chunk) => (received += chunk.length));
    child.on('error', reject);
    child.on('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (received !== bytes) reject(new Error(`${command.slice(0, 3).join(' ')} delivered ${received} of ${bytes} bytes`));
      else resolve(ms);
    });
  });
}

export async function benchStart(ctx) {
  const target = ctx.startContainer('start', ctx.images.server);
  const toolbox = defaultToolboxImage();
  const ns = ['--net', `container:${target}`, '--pid', `container:${target}`];
  const m = await interleavedMedians(ctx.runs, {
    node: () => timeCommand([process.execPath, '-e', '0']),
    version: () => timeCommand([process.execPath, ctx.cli, '--version']),
    dockerRun: () => timeCommand(['docker', 'run', '--rm', ...ns, toolbox, 'true']),
    exec: () => timeCommand([process.execPath, ctx.cli, 'exec', target, '--', 'true']),
    // Real commands, not the --version fast path: the command line alone, then a command's bundle and the engine.
    help: () => timeCommand([process.execPath, ctx.cli, '--help']),
    execHelp: () => timeCommand([process.execPath, ctx.cli, 'exec', '--help']),
    sessions: () => timeCommand([process.execPath, ctx.cli, 'sessions']),
    // The project's budget for `sessions` is against node's start plus `docker ps` (the docker CLI's
    // own listing; it looks into no container): sessions lists and then asks each running container.
    dockerPs: () => timeCommand(['docker', 'ps']),
    inspect: () => timeCommand([process.execPath, ctx.cli, 'inspect', target]),
  });
  const againstNode = (ms, budget) => `${(ms / m.node).toFixed(2)}× node -e 0 (budget ≤ ${budget.toFixed(2)}×)`;
  const againstRun = (ms, budget) => `${(ms / (m.dockerRun + m.node)).toFixed(2)}× (docker run + node -e 0) (budget ≤ ${budget.toFixed(2)}×)`;
  console.log(`start and exec (${ctx.runs} interleaved runs, medians)`);
  printRow('node -e 0', m.node);
  printRow('sidekick --version', m.version, againstNode(m.version, 1.3));
  printRow('sidekick --help', m.help, againstNode(m.help, 1.2));
  printRow('sidekick exec --help', m.execHelp, againstNode(m.execHelp, 1.2));
  printRow('sidekick sessions', m.sessions, `${(m.sessions / m.node).toFixed(2)}× node -e 0 (no budget: it lists the engine's containers, see below)`);
  printRow('docker ps', m.dockerPs);
  printRow('sidekick sessions', m.sessions, `${(m.sessions / (m.dockerPs + m.node)).toFixed(2)}× (docker ps + node -e 0) (budget ≤ 1.20×)`);
  printRow('docker run --rm --net/--pid container:T <toolbox> true', m.dockerRun);
  printRow('sidekick inspect T', m.inspect, againstRun(m.inspect, 1.3));
  printRow('sidekick exec T -- true', m.exec, againstRun(m.exec, 1.1));
  ctx.table({
    id: 'start',
    title: 'Start and exec',
    note: `${ctx.runs} interleaved runs, medians. sidekick is a node program that starts a container in the target's namespaces, so its floor is \`node -e 0\` plus \`docker run --rm --net/--pid container:T <toolbox> true\`.`,
    rows: [
      { what: '`sidekick --version`', unit: 'ms', sidekick: m.version, against: '`node -e 0`', docker: m.node, better: 'lower', budget: { max: 1.3 } },
      { what: '`sidekick --help`', unit: 'ms', sidekick: m.help, against: '`node -e 0`', docker: m.node, better: 'lower', budget: { max: 1.2 } },
      { what: '`sidekick exec --help`', unit: 'ms', sidekick: m.execHelp, against: '`node -e 0`', docker: m.node, better: 'lower', budget: { max: 1.2 } },
      { what: '`sidekick sessions` against node alone (no budget)', unit: 'ms', sidekick: m.sessions, against: '`node -e 0`', docker: m.node, better: 'lower' },
      { what: '`sidekick sessions` against node + `docker ps`', unit: 'ms', sidekick: m.sessions, against: '`docker ps` + `node -e 0`', docker: m.dockerPs + m.node, better: 'lower', budget: { max: 1.2 } },
      { what: '`sidekick inspect T`', unit: 'ms', sidekick: m.inspect, against: '`docker run --rm --net/--pid container:T <toolbox> true` + `node -e 0`', docker: m.dockerRun + m.node, better: 'lower', budget: { max: 1.3 } },
      { what: '`sidekick exec T -- true`', unit: 'ms', sidekick: m.exec, against: '`docker run --rm --net/--pid container:T <toolbox> true` + `node -e 0`', docker: m.dockerRun + m.node, better: 'lower', budget: { max: 1.1 } },
    ],
  });
}

export async function benchStdout(ctx) {
  const target = ctx.startContainer('stdout', ctx.images.server);
  const toolbox = defaultToolboxImage();
  const bytes = (ctx.quick ? 8 : 128) * 1024 * 1024;
  const produce = ['head', '-c', String(bytes), '/dev/zero'];
  const runs = ctx.quick ? 1 : Math.max(3, Math.floor(ctx.runs / 3));
  const viaDocker = [];
  const viaSidekick = [];
  for (let i = 0; i < runs; i++) {
    viaDocker.push(await timeStream(['docker', 'run', '--rm', '--net', `container:${target}`, '--pid', `container:${target}`, toolbox, ...produce], bytes));
    viaSidekick.push(await timeStream([process.execPath, ctx.cli, 'exec', target, '--', ...produce], bytes));
  }
  const mib = bytes / 1024 / 1024;
  const [dockerRate, sidekickRate] = [median(viaDocker), median(viaSidekick)].map((ms) => mib / (ms / 1000));
  console.log(`stdout throughput, ${mib} MiB (${runs} runs each, medians)`);
  console.log(`  docker run ${dockerRate.toFixed(0)} MiB/s, sidekick exec ${sidekickRate.toFixed(0)} MiB/s`);
  ctx.table({
    id: 'stdout',
    title: 'stdout throughput',
    note: `\`head -c ${mib}M /dev/zero\` in the target's namespaces, its stdout read by the bench; ${runs} runs each, alternating, medians. The throughput includes each tool's start.`,
    rows: [{ what: `\`sidekick exec T -- head -c ${mib}M /dev/zero\``, unit: 'MiB/s', sidekick: sidekickRate, against: '`docker run --rm --net/--pid container:T <toolbox> head …`', docker: dockerRate, better: 'higher', budget: { min: 0.8 } }],
  });
}
