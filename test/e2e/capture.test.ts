/**
 * `sidekick capture` (docs/RELIABILITY.md, "capture"): tcpdump in the target's network
 * namespace, the pcap streamed to a file or stdout, read back here with a strict pcap reader
 * that finds the bytes of the requests sent during the capture. watchedTargets checks after
 * each test that the target is untouched (docker diff, same process, no zombie) and that no
 * sidekick is left.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { docker } from '../fixtures/docker-cli.js';
import { CLI_PATH, httpGet, runCli } from './harness.js';
import { watchedTargets } from './watched-targets.js';
import { readPcap, type Pcap } from '../fixtures/pcap.js';

const LINKTYPE_ETHERNET = 1;
const LINKTYPE_LINUX_SLL2 = 276;

interface Capture {
  stdout: Buffer[];
  stderr: string;
  exit: Promise<number>;
  signal(name: NodeJS.Signals): void;
  /** The reader goes away, as wireshark closed or `| head` done. */
  closeStdout(): void;
}

function startCapture(args: string[]): Capture {
  const child = spawn(process.execPath, [CLI_PATH, 'capture', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const state: Capture = {
    stdout: [],
    stderr: '',
    exit: new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)))),
    signal: (name) => child.kill(name),
    closeStdout: () => child.stdout.destroy(),
  };
  child.stdout.on('data', (chunk: Buffer) => state.stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => (state.stderr += chunk.toString()));
  return state;
}

/** tcpdump says so once its socket is open: packets from then on are captured. */
async function listening(capture: Capture): Promise<void> {
  let ended = false;
  void capture.exit.then(() => (ended = true));
  while (!/listening on /.test(capture.stderr)) {
    if (ended) throw new Error(`the capture ended before it listened:\n${capture.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function holdsRequest(pcap: Pcap, path: string): boolean {
  const request = Buffer.from(`GET ${path} HTTP/1.1\r\n`);
  return pcap.records.some((record) => record.data.includes(request));
}

describe('sidekick capture', () => {
  const targets = watchedTargets();
  let dir = '';
  let tcpdumpToolbox = '';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sidekick-capture-'));
    // Built once by content (the capture would build it on first use too, within its own time).
    const built = await runCli(['toolbox', 'build', '--tools', 'tcpdump'], { timeoutMs: 600_000 });
    expect(built.code, built.stderr).toBe(0);
    tcpdumpToolbox = built.stdout.toString().trim();
  });

  afterEach(() => targets.checkAndRemove());
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['a FROM scratch target', 'scratchServer', {}],
    ['a distroless target running as 65532', 'distroless', { user: '65532:65532' }],
    ['a read-only target', 'scratchServer', { readOnly: true }],
  ] as const)('Ctrl-C ends a capture to a file with every packet in it, in %s', async (what, fixture, options) => {
    const t = await targets.start(inject('fixtures')[fixture], options);
    const file = join(dir, `${fixture}-${Object.keys(options).join('-') || 'plain'}.pcap`);
    const capture = startCapture([t.id, '-w', file]);
    await listening(capture);
    const path = `/capture-${what.length}-${Date.now()}`;
    expect((await httpGet(t.ip, 8080, path)).status).toBeGreaterThan(0);
    // At once: what is still on its way must be written out before the CLI exits.
    capture.signal('SIGINT');
    expect(await capture.exit, capture.stderr).toBe(0);
    const pcap = readPcap(await readFile(file));
    expect(pcap.linkType).toBe(LINKTYPE_LINUX_SLL2);
    expect(holdsRequest(pcap, path)).toBe(true);
    expect(capture.stderr).toMatch(/\d+ packets captured/);
  });

  it('-c N ends by itself after N packets; -i and the filter are tcpdump\'s', async () => {
    const t = await targets.start(inject('fixtures').scratchServer);
    const file = join(dir, 'count.pcap');
    const capture = startCapture([t.id, '-i', 'eth0', '-c', '4', '-w', file, 'tcp', 'dst', 'port', '8080']);
    await listening(capture);
    const path = `/counted-${Date.now()}`;
    // The handshake, the request and the acks: at least four packets to the server's port.
    await httpGet(t.ip, 8080, path);
    await httpGet(t.ip, 8080, path);
    expect(await capture.exit, capture.stderr).toBe(0);
    const pcap = readPcap(await readFile(file));
    expect(pcap.linkType).toBe(LINKTYPE_ETHERNET);
    expect(pcap.records).toHaveLength(4);
    // Ethernet + IPv4 without options: the TCP destination port at byte 36 of every frame.
    for (const record of pcap.records) expect(record.data.readUInt16BE(36)).toBe(8080);
    expect(holdsRequest(pcap, path)).toBe(true);
  });

  it('-w - streams the pcap to stdout, byte for byte, for a pipe to read', async () => {
    const t = await targets.start(inject('fixtures').scratchServer);
    const capture = startCapture([t.id, '-w', '-', 'tcp', 'port', '8080']);
    await listening(capture);
    const path = `/streamed-${Date.now()}`;
    await httpGet(t.ip, 8080, path);
    // Live: the request reaches the reader of the pipe while the capture still runs.
    while (!holdsRequest(readPcap(Buffer.concat(capture.stdout)), path)) await new Promise((resolve) => setTimeout(resolve, 100));
    capture.signal('SIGTERM');
    expect(await capture.exit, capture.stderr).toBe(0);
    const pcap = readPcap(Buffer.concat(capture.stdout));
    expect(pcap.records.length).toBeGreaterThanOrEqual(4);
    expect(holdsRequest(pcap, path)).toBe(true);
  });

  it('ends, and removes its sidekick, when the reader of -w - goes away', async () => {
    const t = await targets.start(inject('fixtures').scratchServer);
    const capture = startCapture([t.id, '-w', '-']);
    await listening(capture);
    capture.closeStdout();
    // The next packets meet a closed pipe: the capture ends as a broken pipe would end tcpdump.
    let status: number | undefined;
    void capture.exit.then((code) => (status = code));
    while (status === undefined) {
      await httpGet(t.ip, 8080).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(status, capture.stderr).toBe(141);
    // watchedTargets then checks that no sidekick is left and the target is untouched.
  });

  it('--image: any toolbox that has tcpdump; one that has none is named', async () => {
    const t = await targets.start(inject('fixtures').scratchServer);
    const file = join(dir, 'image.pcap');
    const capture = startCapture([t.id, '--image', tcpdumpToolbox, '-c', '2', '-w', file, 'tcp', 'port', '8080']);
    await listening(capture);
    await httpGet(t.ip, 8080);
    expect(await capture.exit, capture.stderr).toBe(0);
    expect(readPcap(await readFile(file)).records).toHaveLength(2);

    const busybox = (await docker(['images', '--format', '{{.Repository}}:{{.Tag}}', '--filter', 'reference=sidekick-toolbox:busybox-*-init-*'])).split('\n')[0] ?? '';
    expect(busybox).not.toBe('');
    const missing = await runCli(['capture', t.id, '--image', busybox, '-w', join(dir, 'none.pcap')]);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain(`sidekick: ${busybox} has no tcpdump on its PATH`);
  });

  it('refuses a destination that is a directory, and leaves a file alone when the capture cannot start', async () => {
    const t = await targets.start(inject('fixtures').scratchServer);
    const folder = join(dir, 'folder');
    await mkdir(folder);
    const refused = await runCli(['capture', t.id, '-w', folder]);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toMatch(/is a directory; the capture goes into a file/);
    expect((await stat(folder)).isDirectory()).toBe(true);

    // A filter tcpdump rejects: it ends with its own status, and the existing file is not truncated.
    const kept = join(dir, 'kept.pcap');
    await writeFile(kept, 'earlier capture');
    const failed = await runCli(['capture', t.id, '-w', kept, 'no', 'such', 'filter']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/tcpdump: .*syntax error|can't parse filter/);
    expect(await readFile(kept, 'utf8')).toBe('earlier capture');
  });
});
