// Benchmark of a package toolbox (`exec --tools strace`), issue 10: the time from the command
// to strace's first line ("Process 1 attached") with the toolbox cached, against `docker run
// --pid/--net container:T --cap-add SYS_PTRACE <the same toolbox image> strace …` plus
// `node -e 0` (sidekick is a node program), interleaved in the same run (budget ≤ 1.15×). Also
// the cold build time of the toolbox (`toolbox build --rebuild`: mmdebstrap downloads every
// time). Plain node ESM; runs the built CLI. Removes every container and image it makes.
import { spawn, spawnSync } from 'node:child_process';
import { interleavedMedians, printRow, timeCommand, track } from './measure.mjs';

const TRACE = ['strace', '-f', '-e', 'trace=network', '-p', '1'];

function imageId(ref) {
  const result = spawnSync('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** ms from the start of `command` to the first line of its stderr that matches; then it is interrupted and awaited. */
function timeToLine(command, pattern) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = track(spawn(command[0], command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] }));
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

export async function benchStrace(ctx) {
  const { runs, cli } = ctx;
  const name = ctx.startContainer('strace', ctx.images.server);
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
  console.log(`strace -p 1 with a package toolbox (${runs} interleaved runs, medians; time to "Process 1 attached")`);
  printRow('node -e 0', nodeMs);
  printRow('docker run --pid/--net container:T <toolbox> strace', dockerMs);
  printRow('sidekick exec --tools strace T -- strace', sidekickMs, `${(sidekickMs / (dockerMs + nodeMs)).toFixed(2)}× (docker run + node -e 0) (budget ≤ 1.15×)`);
  printRow('toolbox build --tools strace (cold, mmdebstrap)', coldMs, `${ref}`);
  ctx.table({
    id: 'strace',
    title: 'A package toolbox: strace',
    note: `Time to strace's first line ("Process 1 attached"), toolbox cached; ${runs} interleaved runs after a warm-up, medians. Cold build of the \`--tools strace\` toolbox (\`toolbox build --rebuild\`, mmdebstrap downloading): ${(coldMs / 1000).toFixed(1)} s.`,
    rows: [{ what: '`sidekick exec --tools strace T -- strace -f -e trace=network -p 1`', unit: 'ms', sidekick: sidekickMs, against: '`docker run --rm --pid/--net container:T --cap-add SYS_PTRACE <the same toolbox> strace …` + `node -e 0`', docker: dockerMs + nodeMs, better: 'lower', budget: { max: 1.15 } }],
  });
}
