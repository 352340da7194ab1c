// Throughput through `sidekick port-forward` against a direct connection to the container's
// own address (no docker-proxy) in the same run: medians, ratio. One connection at a time: the
// server is busybox nc in a toolbox-image container, port 7000 sends 64 MiB of zeros (dd, 64
// KiB writes), port 7001 swallows what it gets. Then 1, 10 and 50 concurrent connections to
// the echo port of the tcp-server fixture (a real backlog; busybox nc listens with 2): each
// sends 8 MiB and checks every byte that comes back. SIDEKICK_RELAY=off measures the
// exec-per-connection carrier.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { defaultToolboxImage, median, printRow, track } from './measure.mjs';
import { docker } from './steps.mjs';

let bytes = 64 * 1024 * 1024;

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

/** Sends `payload`, half-closes, and checks that exactly the same bytes come back. */
function echoConnection([host, port], payload) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = 0;
    let mismatch = false;
    socket.on('connect', () => socket.end(payload));
    socket.on('data', (chunk) => {
      if (!mismatch && !chunk.equals(payload.subarray(received, received + chunk.length))) mismatch = true;
      received += chunk.length;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      if (mismatch || received !== payload.length) reject(new Error(`echo through port ${port}: ${mismatch ? 'bytes differ' : `${received} of ${payload.length} bytes came back`}`));
      else resolve();
    });
  });
}

/** ms until `count` concurrent `attempt`s have all succeeded. */
async function timeConcurrent(count, attempt) {
  const started = process.hrtime.bigint();
  const results = await Promise.allSettled(Array.from({ length: count }, attempt));
  const failed = results.filter((r) => r.status === 'rejected');
  if (failed.length > 0) throw new Error(`${failed.length} of ${count} connections failed: ${failed[0].reason.message}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** The median of each connection's own time, `count` of them started together. */
async function concurrentLatency(count, address) {
  const results = await Promise.allSettled(Array.from({ length: count }, () => timeConnection(address)));
  const failed = results.filter((r) => r.status === 'rejected');
  if (failed.length > 0) throw new Error(`${failed.length} of ${count} empty connections failed: ${failed[0].reason.message}`);
  return median(results.map((r) => r.value));
}

function startForward(cli, name, remotePorts) {
  const child = track(spawn(process.execPath, [cli, 'port-forward', name, ...remotePorts.map((p) => `0:${p}`)], { stdio: ['ignore', 'pipe', 'inherit'] }));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const ports = [...out.matchAll(/^Forwarding 127\.0\.0\.1:(\d+) ->/gm)].map((m) => Number(m[1]));
      if (ports.length === remotePorts.length) resolve({ child, ports });
    });
    child.on('exit', (code) => reject(new Error(`sidekick port-forward exited ${code}`)));
  });
}

async function stopForward(forward) {
  if (!forward) return;
  forward.child.kill('SIGINT');
  await new Promise((resolve) => (forward.child.exitCode !== null || forward.child.signalCode !== null ? resolve() : forward.child.once('exit', resolve)));
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

const connections = (count) => (count === 1 ? 'one connection' : `${count} concurrent connections`);

const carrier = () => (process.env.SIDEKICK_RELAY === 'off' ? 'exec per connection' : 'relay');

export async function benchPortForward(ctx) {
  bytes = (ctx.quick ? 4 : 64) * 1024 * 1024;
  const runs = ctx.quick ? 1 : Math.max(3, Math.floor(ctx.runs / 3));
  const toolbox = defaultToolboxImage();
  const script = `nc -ll -p 7001 -e sh -c 'cat >/dev/null' & exec nc -ll -p 7000 -e dd if=/dev/zero bs=65536 count=${bytes / 65536}`;
  let forward;
  try {
    const name = ctx.startContainer('pf', toolbox, ['sh', '-c', script]);
    const ip = docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', name]);
    const direct = [[ip, 7000], [ip, 7001]];
    forward = await startForward(ctx.cli, name, [7000, 7001]);
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
    const rate = (ms) => mib / (ms / 1000);
    const [dd, fd, du, fu] = [times.directDown, times.forwardDown, times.directUp, times.forwardUp].map(median);
    const [dc, fc] = [times.directConn, times.forwardConn].map(median);
    console.log(`port-forward, one connection at a time, ${mib} MiB (${runs} interleaved runs, medians; carrier: ${carrier()})`);
    printRow('direct download', dd, `${rate(dd).toFixed(0)} MiB/s`);
    printRow('port-forward download', fd, `${rate(fd).toFixed(0)} MiB/s, ${(dd / fd).toFixed(2)}× direct`);
    printRow('direct upload', du, `${rate(du).toFixed(0)} MiB/s`);
    printRow('port-forward upload', fu, `${rate(fu).toFixed(0)} MiB/s, ${(du / fu).toFixed(2)}× direct`);
    printRow('direct, empty connection', dc);
    printRow('port-forward, empty connection', fc, `+${(fc - dc).toFixed(1)} ms`);
    const against = "direct to the container's address";
    ctx.table({
      id: 'port-forward',
      title: 'port-forward, one connection at a time',
      note: `Carrier: ${carrier()}. ${mib} MiB per connection, ${runs} interleaved runs; empty connections (connect, half-close, see the server close) ${runs * 3} runs; medians. The comparison is a connection from the host to the container's own address (no docker-proxy): the docker CLI has no port-forward of a running container. Budget: ≥ 0.5× the direct throughput, ≤ +15 ms per new connection.`,
      rows: [
        { what: `download, ${mib} MiB`, unit: 'MiB/s', sidekick: rate(fd), against, docker: rate(dd), better: 'higher', budget: { min: 0.5 } },
        { what: `upload, ${mib} MiB`, unit: 'MiB/s', sidekick: rate(fu), against, docker: rate(du), better: 'higher', budget: { min: 0.5 } },
        { what: `a new empty connection (+${(fc - dc).toFixed(1)} ms)`, unit: 'ms', sidekick: fc, against, docker: dc, better: 'lower' },
      ],
    });
  } finally {
    await stopForward(forward);
    forward = undefined;
  }

  const sizes = ctx.quick ? [1, 2] : [1, 10, 50];
  const echoBytes = (ctx.quick ? 1 : 8) * 1024 * 1024;
  const payload = randomBytes(echoBytes);
  try {
    const name = ctx.startContainer('pf-echo', ctx.images.tcpServer);
    const ip = docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', name]);
    forward = await startForward(ctx.cli, name, [7000]);
    const direct = [ip, 7000];
    const viaForward = ['127.0.0.1', forward.ports[0]];
    await retry(() => echoConnection(direct, payload));
    await retry(() => echoConnection(viaForward, payload));
    const series = { throughput: { forward: [], direct: [] }, latency: { forward: [], direct: [] } };
    const rows = [];
    const mib = echoBytes / 1024 / 1024;
    for (const size of sizes) {
      const times = { directEcho: [], forwardEcho: [], directConn: [], forwardConn: [] };
      for (let round = 0; round < runs; round++) {
        times.directEcho.push(await timeConcurrent(size, () => echoConnection(direct, payload)));
        times.forwardEcho.push(await timeConcurrent(size, () => echoConnection(viaForward, payload)));
        times.directConn.push(await concurrentLatency(size, direct));
        times.forwardConn.push(await concurrentLatency(size, viaForward));
      }
      const rate = (ms) => (size * mib) / (ms / 1000);
      const [de, fe, dc, fc] = [times.directEcho, times.forwardEcho, times.directConn, times.forwardConn].map(median);
      console.log(`port-forward, ${size} concurrent connections (${runs} interleaved rounds, medians)`);
      console.log(`  echo of ${mib} MiB each: direct ${rate(de).toFixed(0)} MiB/s, port-forward ${rate(fe).toFixed(0)} MiB/s (${(de / fe).toFixed(2)}× direct)`);
      console.log(`  empty connection: direct ${dc.toFixed(1)} ms, port-forward ${fc.toFixed(1)} ms`);
      series.throughput.forward.push(rate(fe));
      series.throughput.direct.push(rate(de));
      series.latency.forward.push(fc);
      series.latency.direct.push(dc);
      const against = `the same, direct to the container's address`;
      rows.push(
        { what: `${connections(size)}, each an echo of ${mib} MiB, every byte checked (aggregate, one way)`, unit: 'MiB/s', sidekick: rate(fe), against, docker: rate(de), better: 'higher', budget: { min: 0.5 } },
        { what: `${connections(size)}, each empty (median of each one's time)`, unit: 'ms', sidekick: fc, against, docker: dc, better: 'lower' },
      );
    }
    ctx.table({
      id: 'port-forward-concurrent',
      title: 'port-forward, concurrent connections',
      note: `Carrier: ${carrier()}. The echo port of the tcp-server fixture (test/fixtures/tcp-server.c, a process per connection). Each connection sends ${mib} MiB, half-closes and checks every byte that comes back; throughput is ${mib} MiB × connections ÷ the time until the last one ended. ${runs} interleaved rounds per size, medians.`,
      rows,
    });
    ctx.addSeries({
      id: 'port-forward-concurrent/throughput',
      title: `port-forward: aggregate echo throughput (${mib} MiB per connection)`,
      xLabel: 'concurrent connections',
      yLabel: 'MiB/s (median, one way)',
      ratioLabel: 'sidekick ÷ direct',
      x: sizes,
      lines: [
        { name: 'sidekick port-forward', values: series.throughput.forward },
        { name: "direct to the container's address", values: series.throughput.direct },
      ],
    });
    ctx.addSeries({
      id: 'port-forward-concurrent/latency',
      title: 'port-forward: time of an empty connection among N',
      xLabel: 'concurrent connections',
      yLabel: 'ms (median per connection)',
      ratioLabel: 'sidekick ÷ direct',
      x: sizes,
      lines: [
        { name: 'sidekick port-forward', values: series.latency.forward },
        { name: "direct to the container's address", values: series.latency.direct },
      ],
    });
  } finally {
    await stopForward(forward);
  }
}
