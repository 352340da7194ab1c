// Throughput through `sidekick port-forward` against a direct connection to the container's
// own address (no docker-proxy) in the same run: medians, ratio. The server is busybox nc in
// a toolbox-image container: port 7000 sends 64 MiB of zeros (dd, 64 KiB writes), port 7001
// swallows what it gets. SIDEKICK_RELAY=off measures the exec-per-connection carrier.
import { execFileSync, spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { median, printRow } from './measure.mjs';

const cli = fileURLToPath(new URL('../dist/sidekick.cjs', import.meta.url));
const bytes = 64 * 1024 * 1024;
const runs = Math.max(3, Math.floor(Number(process.env.BENCH_RUNS ?? 15) / 3));

function docker(args) {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Milliseconds to receive `bytes` from host:port (the server closes when done). */
function timeDownload([host, port]) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const socket = connect({ host, port });
    let received = 0;
    socket.on('data', (chunk) => (received += chunk.length));
    socket.on('error', reject);
    socket.on('close', () => {
      if (received !== bytes) reject(new Error(`download from port ${port} delivered ${received} of ${bytes} bytes`));
      else resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
    socket.end();
  });
}

/** Milliseconds to send `bytes` to host:port, half-close, and see the server close. */
function timeUpload([host, port]) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const socket = connect({ host, port });
    const block = Buffer.alloc(1 << 20);
    let sent = 0;
    const pump = () => {
      while (sent < bytes) {
        sent += block.length;
        if (!socket.write(block)) return void socket.once('drain', pump);
      }
      socket.end();
    };
    socket.on('connect', pump);
    socket.on('data', () => undefined);
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
  });
}

/** Milliseconds for an empty connection: connect, half-close, see the server close (per-connection cost). */
function timeConnection([host, port]) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const socket = connect({ host, port });
    socket.on('data', () => undefined);
    socket.on('error', reject);
    socket.on('close', () => resolve(Number(process.hrtime.bigint() - started) / 1e6));
    socket.end();
  });
}

function startForward(name) {
  const child = spawn(process.execPath, [cli, 'port-forward', name, '0:7000', '0:7001'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const ports = [...out.matchAll(/^Forwarding 127\.0\.0\.1:(\d+) ->/gm)].map((m) => Number(m[1]));
      if (ports.length === 2) resolve({ child, ports });
    });
    child.on('exit', (code) => reject(new Error(`sidekick port-forward exited ${code}`)));
  });
}

async function retry(attempt) {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error) {
      if (i >= 50) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function benchPortForward() {
  const toolbox = docker(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=sidekick-toolbox:busybox-*-init-*']).split('\n')[0];
  if (!toolbox) {
    console.log('\nport-forward: no sidekick-toolbox image (run `sidekick exec` once); skipped');
    return;
  }
  const name = `sidekick-bench-pf-${process.pid}`;
  const script = `nc -ll -p 7001 -e sh -c 'cat >/dev/null' & exec nc -ll -p 7000 -e dd if=/dev/zero bs=65536 count=${bytes / 65536}`;
  let forward;
  try {
    docker(['run', '-d', '--name', name, '--label', 'io.sidekick.bench=1', toolbox, 'sh', '-c', script]);
    const ip = docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', name]);
    const direct = [[ip, 7000], [ip, 7001]];
    forward = await startForward(name);
    const viaForward = forward.ports.map((port) => ['127.0.0.1', port]);
    await retry(() => timeDownload(direct[0]));
    await retry(() => timeDownload(viaForward[0]));
    const times = { directDown: [], forwardDown: [], directUp: [], forwardUp: [], directConn: [], forwardConn: [] };
    for (let i = 0; i < runs * 3; i++) {
      times.directConn.push(await timeConnection(direct[1]));
      times.forwardConn.push(await timeConnection(viaForward[1]));
    }
    for (let i = 0; i < runs; i++) {
      times.directDown.push(await timeDownload(direct[0]));
      times.forwardDown.push(await timeDownload(viaForward[0]));
      times.directUp.push(await timeUpload(direct[1]));
      times.forwardUp.push(await timeUpload(viaForward[1]));
    }
    const mib = bytes / 1024 / 1024;
    const rate = (ms) => `${(mib / (ms / 1000)).toFixed(0)} MiB/s`;
    const [dd, fd, du, fu] = [times.directDown, times.forwardDown, times.directUp, times.forwardUp].map(median);
    console.log(`\nport-forward throughput, 64 MiB per connection (${runs} interleaved runs, medians)`);
    const carrier = process.env.SIDEKICK_RELAY === 'off' ? 'exec per connection' : 'relay';
    console.log(`  (carrier: ${carrier})`);
    printRow('direct to the container, download', dd, rate(dd));
    printRow('through sidekick port-forward, download', fd, `${rate(fd)}, ${(dd / fd).toFixed(2)}× direct`);
    printRow('direct to the container, upload', du, rate(du));
    printRow('through sidekick port-forward, upload', fu, `${rate(fu)}, ${(du / fu).toFixed(2)}× direct`);
    const [dc, fc] = [times.directConn, times.forwardConn].map(median);
    console.log(`\nport-forward, one empty connection (${runs * 3} interleaved runs, medians)`);
    printRow('direct to the container', dc);
    printRow(`through sidekick port-forward (${carrier})`, fc, `+${(fc - dc).toFixed(1)} ms per connection`);
  } finally {
    if (forward) {
      forward.child.kill('SIGINT');
      await new Promise((resolve) => (forward.child.exitCode !== null ? resolve() : forward.child.once('exit', resolve)));
    }
    try {
      docker(['rm', '-f', name]);
    } catch {
      // never started
    }
  }
}
