// The README's first command: build a FROM-scratch server, debug it with sidekick, inject
// a toolbox and eject it again, and remove everything that was made.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildScratchServer } from './scratch-image.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'sidekick.cjs');
const image = 'sidekick-demo/server:latest';
const name = `sidekick-demo-${process.pid}`;
const bold = (text) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${text}\x1b[0m` : text);

function step(title) {
  console.log(`\n${bold(`== ${title}`)}`);
}

/** Shows a command as a user would type it, then runs it with output on the terminal. */
function show(args, { expectStatus = 0 } = {}) {
  console.log(bold(`$ sidekick ${args.map((a) => (/[\s$'"]/.test(a) ? `'${a}'` : a)).join(' ')}`));
  const result = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (result.status !== expectStatus) throw new Error(`sidekick ${args.join(' ')} exited ${result.status}, expected ${expectStatus}`);
}

function docker(args, options = {}) {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options }).trim();
}

let failed = false;
try {
  step('Build a FROM scratch server image (one static binary, nothing else)');
  buildScratchServer(image, 'io.sidekick.demo');
  docker(['run', '-d', '--name', name, '--label', 'io.sidekick.demo=1', image]);
  console.log(`started ${name}; try: docker exec ${name} sh  ->`);
  spawnSync('docker', ['exec', name, 'sh'], { stdio: 'inherit' });

  step('Its processes, seen from a sidekick in its PID namespace');
  show(['exec', name, '--', 'ps', '-o', 'pid,user,args']);

  step('Its listening sockets, from its network namespace');
  show(['exec', name, '--', 'netstat', '-tln']);

  step('A request to it over the shared loopback, including the port bound to 127.0.0.1 only');
  show(['exec', name, '--', 'wget', '-qO-', 'http://127.0.0.1:8080/']);
  show(['exec', name, '--', 'wget', '-qO-', 'http://127.0.0.1:9090/']);

  step("Its own files at / (a chroot into it; nothing is written to it), and PID 1's environment");
  show(['exec', name, '--', 'sh', '-c', 'ls -l / && tr "\\0" "\\n" < /proc/1/environ']);

  step('The exit status of the command is passed back');
  show(['exec', name, '--', 'sh', '-c', 'exit 3'], { expectStatus: 3 });

  step('Inject a toolbox, so that a plain `docker exec` works, then eject it');
  const before = docker(['diff', name]);
  show(['inject', name]);
  console.log(bold(`$ docker exec ${name} /.sidekick/bin/sh -c 'ps; wget -qO- 127.0.0.1:8080'`));
  console.log(docker(['exec', name, '/.sidekick/bin/sh', '-c', 'ps; wget -qO- 127.0.0.1:8080']));
  show(['eject', name]);
  const after = docker(['diff', name]);
  console.log(after === before ? 'docker diff is back to what it was before the injection.' : `docker diff differs:\n${after}`);
  if (after !== before) failed = true;

  const left = docker(['ps', '-aq', '--filter', 'label=io.sidekick.session']);
  console.log(left === '' ? 'No sidekick container is left behind.' : `Left behind: ${left}`);
  if (left !== '') failed = true;
} catch (error) {
  failed = true;
  console.error(`demo failed: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  step('Clean up');
  spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  spawnSync('docker', ['rmi', image], { stdio: 'ignore' });
  console.log('removed the demo container and image.');
}
process.exitCode = failed ? 1 : 0;
