// Timing helpers shared by the benchmarks.
import { execFileSync, spawn } from 'node:child_process';

/** Children of the bench still running: an interrupted bench stops them before it cleans up. */
export const liveChildren = new Set();
let stopping = false;

/** Stops every child (SIGTERM: sidekick then cleans up its own sessions) and any started later. */
export function stopChildren() {
  stopping = true;
  for (const child of liveChildren) child.kill('SIGTERM');
}

/** Registers a child process until it exits. */
export function track(child) {
  if (stopping) child.kill('SIGTERM');
  liveChildren.add(child);
  child.once('exit', () => liveChildren.delete(child));
  child.once('error', () => liveChildren.delete(child));
  return child;
}

/**
 * Wall time of one run of a command, in ms; its output is discarded, a failure is an error
 * unless its stderr matches `tolerated` (e.g. a container another run removed meanwhile).
 */
export function timeCommand(command, tolerated) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = track(spawn(command[0], command.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] }));
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      if (code !== 0 && !(tolerated?.test(stderr) ?? false)) reject(new Error(`${command.join(' ')} exited ${code}: ${stderr.trim()}`));
      else resolve(ms);
    });
  });
}

/**
 * Runs each step once per round, interleaved, the first round only to warm caches (unless
 * `warmUp` is false: the caller has just run the same work), and returns the median of each
 * step's times: `{ name: () => Promise<ms> }` in, `{ name: ms }` out.
 */
export async function interleavedMedians(rounds, steps, { warmUp = true } = {}) {
  const times = Object.fromEntries(Object.keys(steps).map((name) => [name, []]));
  const first = warmUp ? 1 : 0;
  for (let round = 0; round < rounds + first; round++) {
    for (const [name, step] of Object.entries(steps)) {
      const ms = await step();
      if (round >= first) times[name].push(ms);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]));
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function printRow(label, ms, note = '') {
  console.log(`  ${label.padEnd(52)} ${ms.toFixed(1).padStart(8)} ms  ${note}`);
}

/**
 * The default toolbox image, the one `sidekick exec` uses without --image or --tools (the
 * package toolboxes, `sidekick-tools:debian-…`, and other tags are not it); newest first.
 */
export function defaultToolboxImage() {
  const listed = execFileSync('docker', ['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=sidekick-toolbox:busybox-*-init-*'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .filter(Boolean);
  // undefined when there is none yet: one `sidekick exec T -- true` builds it.
  return listed[0];
}
