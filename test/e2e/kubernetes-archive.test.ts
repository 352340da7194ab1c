/**
 * Files of a pod's container through the Kubernetes engine's archive (docs/ARCHITECTURE.md,
 * "The archive through an ephemeral sidekick"), end to end through the control-plane double
 * (test/kube-double/README.md: a test double of the control plane only, backed by real Docker
 * containers): the archive contract, `sidekick cp` both ways, and a hostile target whose
 * symbolic links point out of its root (docs/RELIABILITY.md, "cp on pods").
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { extract } from 'tar-stream';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { requireCapability } from '../../src/engines/capabilities.js';
import { loadKubeContext } from '../../src/engines/kubernetes/kube-config.js';
import { KubernetesEngine } from '../../src/engines/kubernetes/kubernetes-engine.js';
import { archiveContract, targetLockContract, tarOf, type ContractWorld, type TarEntry } from '../contract/engine-contract.js';
import { docker } from '../fixtures/docker-cli.js';
import { DoubleWorld } from '../kube-double/double-world.js';
import type { DoublePod } from '../kube-double/pods.js';
import { defaultToolboxImage } from '../kube-double/test-client.js';
import { CLI_PATH, expectUntouched, runCli, snapshotTarget, UNPACKER_PATH, zombiesOf, type TargetSnapshot } from './harness.js';

/** An ephemeral sidekick is an image start and several API round trips; a busy machine makes that long. */
const CASE_MS = 180_000;

/** A tar of `entries`, whole, as bytes (for `docker cp -` and for uploads). */
async function tarBytes(entries: TarEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of tarOf(entries) as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** The files of a tar, by name. */
async function tarEntries(bytes: Buffer): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  const reader = extract();
  Readable.from([bytes]).pipe(reader as unknown as NodeJS.WritableStream);
  for await (const entry of reader) {
    const chunks: Buffer[] = [];
    for await (const chunk of entry) chunks.push(chunk as Buffer);
    found.set(entry.header.name, Buffer.concat(chunks));
  }
  return found;
}

function streamOf(bytes: Buffer): NodeJS.ReadableStream {
  return Readable.from([bytes]);
}

/** Processes of the PID namespace of host process `hostPid` but that one, as "hostpid: command line", read from the host's /proc. */
async function othersInNamespaceOf(hostPid: number): Promise<string[]> {
  const namespace = await readlink(`/proc/${hostPid}/ns/pid`);
  const found: string[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === hostPid) continue;
    const ns = await readlink(`/proc/${name}/ns/pid`).catch(() => undefined);
    if (ns !== namespace) continue;
    const command = await readFile(`/proc/${name}/cmdline`).catch(() => Buffer.alloc(0));
    found.push(`${name}: ${command.toString().split('\0').join(' ').trim()}`);
  }
  return found;
}

describe('files of pod containers (through the control-plane double)', () => {
  const world = new DoubleWorld('sidekick-kube-archive');
  const engines: KubernetesEngine[] = [];
  /** Pods made; with a snapshot, their container `app` must be as it was (the hostile ones are changed on purpose). */
  const pods: Array<{ pod: DoublePod; before?: TargetSnapshot }> = [];

  afterEach(async () => {
    for (const engine of engines.splice(0)) engine.close();
    try {
      for (const { pod, before } of pods.splice(0)) {
        const app = pod.containers.get('app')!;
        if (before !== undefined) await expectUntouched(before, app);
        else expect(await zombiesOf(app)).toBe(0);
      }
    } finally {
      await world.close();
    }
  });

  const kubeconfig = (): Promise<string> => world.kubeconfig();

  /** As the CLI opens it: with the unpacker it builds, unless `pinned` (uploads then go in pinned segments). */
  async function engine(options: { pinned?: boolean } = {}): Promise<KubernetesEngine> {
    const made = new KubernetesEngine(loadKubeContext({ kubeconfig: await kubeconfig() }, {}), await defaultToolboxImage(), options.pinned ? {} : { unpackerBinary: UNPACKER_PATH });
    engines.push(made);
    return made;
  }

  /** A pod whose container `app` is the scratch server, or (`shell`) the toolbox sleeping, so that a test can rearrange its files. */
  async function makePod(options: { shell?: boolean; snapshot?: boolean; shareProcessNamespace?: boolean } = {}): Promise<DoublePod> {
    const { scratchServer } = inject('fixtures');
    const image = options.shell ? await defaultToolboxImage() : scratchServer;
    const name = `sidekick-test-${randomBytes(4).toString('hex')}`;
    const pod = await world.pod(name, [{ name: 'app', image, ...(options.shell ? { args: ['sleep', '3600'] } : {}) }], { shareProcessNamespace: options.shareProcessNamespace ?? false });
    pods.push({ pod, ...(options.snapshot ? { before: await snapshotTarget(pod.containers.get('app')!) } : {}) });
    return pod;
  }

  /** The pod's ephemeral containers as the double's Docker containers: name, state, Docker ID. */
  async function sidekicksOf(pod: DoublePod): Promise<Array<{ name: string; state: string; id: string }>> {
    const out = await docker(['ps', '-a', '--filter', `label=io.sidekick.kube-double.pod=default/${pod.name}`, '--filter', 'label=io.sidekick.kube-double.role=ephemeral', '--format', '{{.Label "io.sidekick.kube-double.container"}} {{.State}} {{.ID}}']);
    return out
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const [name = '', state = '', id = ''] = line.split(' ');
        return { name, state, id };
      });
  }

  /** Plants entries in the pod's container `app` from the host (docker cp), as its own program could make them. */
  async function plant(pod: DoublePod, entries: TarEntry[]): Promise<void> {
    await docker(['cp', '-', `${pod.containers.get('app')!}:/`], { input: await tarBytes(entries) });
  }

  describe('the archive contract', () => {
    let world: ContractWorld;
    beforeEach(async () => {
      const made = await engine();
      world = {
        engine: made,
        async startContainer() {
          const pod = await makePod();
          return { id: `default/${pod.name}/app`, name: `pod/${pod.name}/app` };
        },
        createContainer: () => Promise.reject(new Error('a pod cannot hold a container that was never started')),
        labelledImage: () => Promise.reject(new Error('the Kubernetes engine keeps no images')),
        cleanup: async () => undefined,
      };
    });
    archiveContract(() => world, { goneContainer: false, noOverwriteDirNonDir: true });
    targetLockContract(() => world);
  });

  it('without the unpacker, an upload with noOverwriteDirNonDir goes in pinned segments: a tree is written, a directory entry over a link refused, a hard link into another directory refused', async () => {
    const made = await engine({ pinned: true });
    const pod = await makePod();
    const id = `default/${pod.name}/app`;
    const archive = requireCapability(made, 'archive', 'the test');
    await plant(pod, [{ name: 'real/', type: 'directory' }, { name: 'link', type: 'symlink', linkname: 'real' }]);
    await archive.putArchive(id, '/', streamOf(await tarBytes([
      { name: 'tree/', type: 'directory' },
      { name: 'tree/bin/', type: 'directory' },
      { name: 'tree/bin/tool', type: 'file', content: 'a tool', mode: 0o755 },
      { name: 'tree/bin/sym', type: 'symlink', linkname: 'tool' },
    ])), { noOverwriteDirNonDir: true });
    expect(await archive.statPath(id, '/tree/bin/tool')).toMatchObject({ kind: 'file', size: 6, mode: 0o755 });
    expect(await archive.statPath(id, '/tree/bin/sym')).toMatchObject({ kind: 'symlink' });
    await expect(archive.putArchive(id, '/', streamOf(await tarBytes([{ name: 'link/', type: 'directory' }, { name: 'link/through.txt', type: 'file', content: 'x' }])), { noOverwriteDirNonDir: true })).rejects.toMatchObject({ code: 'ENGINE_ERROR' });
    expect(await archive.statPath(id, '/real/through.txt')).toBeUndefined();
    await expect(archive.putArchive(id, '/', streamOf(await tarBytes([
      { name: 'other/', type: 'directory' },
      { name: 'other/tool', type: 'link', linkname: 'tree/bin/tool' },
    ])), { noOverwriteDirNonDir: true })).rejects.toMatchObject({ code: 'ENGINE_ERROR' });
  }, CASE_MS);

  it('walks a container\'s root filesystem: its own paths, a name with a newline whole, mount points listed and not entered', async () => {
    const made = await engine();
    const pod = await makePod();
    await plant(pod, [{ name: 'data/', type: 'directory' }, { name: 'data/two\nlines', type: 'file', content: 'x' }]);
    const walk = requireCapability(made, 'filesystemWalk', 'the test');
    const paths = await walk.rootFilesystemPaths(`default/${pod.name}/app`);
    expect(paths).toEqual(expect.arrayContaining(['/server', '/data', '/data/two\nlines', '/proc', '/etc/hosts']));
    expect(paths.filter((path) => path.startsWith('/proc/') || path.startsWith('/sys/'))).toEqual([]);
    expect(paths).not.toContain('/');
  }, CASE_MS);

  it('cp copies a file and a directory into a pod and back out byte for byte, modes kept, through one ephemeral sidekick per command', async () => {
    const pod = await makePod();
    const config = await kubeconfig();
    const env = { SIDEKICK_KUBE_TOOLBOX: await defaultToolboxImage() };
    const local = join(await world.dir(), 'local');
    await mkdir(join(local, 'tree', 'sub'), { recursive: true });
    const blob = randomBytes(300_000);
    await writeFile(join(local, 'blob.bin'), blob);
    await chmod(join(local, 'blob.bin'), 0o640);
    await writeFile(join(local, 'tree', 'run.sh'), '#!/bin/sh\necho hi\n');
    await chmod(join(local, 'tree', 'run.sh'), 0o755);
    await writeFile(join(local, 'tree', 'sub', 'secret'), 'only the owner\n');
    await chmod(join(local, 'tree', 'sub', 'secret'), 0o600);
    await chmod(join(local, 'tree', 'sub'), 0o750);
    await symlink('sub/secret', join(local, 'tree', 'link'));

    const target = `pod/${pod.name}/app`;
    for (const [source, destination] of [[join(local, 'blob.bin'), `${target}:/blob.bin`], [join(local, 'tree'), `${target}:/`]] as const) {
      const result = await runCli(['cp', '--kubeconfig', config, source, destination], { env, timeoutMs: CASE_MS });
      expect({ code: result.code, stderr: result.stderr }, `cp ${source} ${destination}`).toEqual({ code: 0, stderr: '' });
    }
    // What the container now holds, read by Docker itself (the double's container is a Docker one).
    const app = pod.containers.get('app')!;
    const diff = (await docker(['diff', app])).split('\n').filter((line) => line !== '').sort();
    expect(diff).toEqual(['A /blob.bin', 'A /tree', 'A /tree/link', 'A /tree/run.sh', 'A /tree/sub', 'A /tree/sub/secret']);

    const out = join(await world.dir(), 'out');
    await mkdir(out);
    for (const source of [`${target}:/blob.bin`, `${target}:/tree`]) {
      const result = await runCli(['cp', '--kubeconfig', config, source, `${out}/`], { env, timeoutMs: CASE_MS });
      expect({ code: result.code, stderr: result.stderr }, `cp ${source}`).toEqual({ code: 0, stderr: '' });
    }
    expect((await readFile(join(out, 'blob.bin'))).equals(blob)).toBe(true);
    expect((await lstat(join(out, 'blob.bin'))).mode & 0o7777).toBe(0o640);
    expect(await readFile(join(out, 'tree', 'run.sh'), 'utf8')).toBe('#!/bin/sh\necho hi\n');
    expect((await lstat(join(out, 'tree', 'run.sh'))).mode & 0o7777).toBe(0o755);
    expect((await lstat(join(out, 'tree', 'sub'))).mode & 0o7777).toBe(0o750);
    expect(await readFile(join(out, 'tree', 'sub', 'secret'), 'utf8')).toBe('only the owner\n');
    expect((await lstat(join(out, 'tree', 'sub', 'secret'))).mode & 0o7777).toBe(0o600);
    expect(await readlink(join(out, 'tree', 'link'))).toBe('sub/secret');

    // Into a running container: the archive's keeper and the helper that moves the copy into
    // place; out of it: the keeper alone. Every one has ended.
    const sidekicks = await sidekicksOf(pod);
    expect(sidekicks).toHaveLength(2 * 2 + 2);
    for (const sidekick of sidekicks) expect(sidekick.name).toMatch(/^sidekick-pod-/);
    for (const deadline = Date.now() + 30_000; (await sidekicksOf(pod)).some((s) => s.state !== 'exited'); ) {
      if (Date.now() > deadline) throw new Error(`a sidekick outlived its command: ${JSON.stringify(await sidekicksOf(pod))}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, CASE_MS * 2);

  it('cp cannot be led out of a hostile target\'s root by its symbolic links (absolute, ../.., a linked destination), in either direction', async () => {
    const pod = await makePod();
    const config = await kubeconfig();
    const env = { SIDEKICK_KUBE_TOOLBOX: await defaultToolboxImage() };
    // A directory of this host with a canary in it: the target's links name it.
    const hostDir = join(await world.dir(), 'host-dir');
    await mkdir(hostDir);
    await writeFile(join(hostDir, 'host-canary'), 'of the host\n');
    await plant(pod, [
      { name: 'etc/sidekick-id', type: 'file', content: 'the target\'s own etc\n' },
      { name: 'data/', type: 'directory' },
      { name: 'hostlink', type: 'symlink', linkname: hostDir },
      { name: 'etclink', type: 'symlink', linkname: '/etc' },
      { name: 'up', type: 'symlink', linkname: '../../../../../..' },
      { name: 'deep/', type: 'directory' },
      { name: 'deep/er/', type: 'directory' },
      { name: 'deep/er/up', type: 'symlink', linkname: '../../../../../../..' },
      { name: 'datalink', type: 'symlink', linkname: '/data' },
    ]);
    const target = `pod/${pod.name}/app`;
    const cp = (args: string[]) => runCli(['cp', '--kubeconfig', config, ...args], { env, timeoutMs: CASE_MS });

    // Reading through a link that names a host directory: not the host's file.
    const out = join(await world.dir(), 'out');
    await mkdir(out);
    const hostRead = await cp([`${target}:/hostlink/host-canary`, `${out}/`]);
    expect(hostRead.code).not.toBe(0);
    expect(await readdir(out)).toEqual([]);
    // Absolute and climbing links resolve in the target's root.
    for (const path of ['/etclink/sidekick-id', '/up/etc/sidekick-id', '/deep/er/up/etc/sidekick-id', '/up/up/up/etclink/sidekick-id']) {
      const result = await cp([`${target}:${path}`, '-']);
      expect({ code: result.code, stderr: result.stderr }, path).toEqual({ code: 0, stderr: '' });
      expect(result.stdout.toString()).toContain('the target\'s own etc');
    }

    // Writing through the same links: into the target, never the host.
    const payload = join(await world.dir(), 'payload.txt');
    await writeFile(payload, 'written by the test\n');
    const intoHost = await cp([payload, `${target}:/hostlink/`]);
    expect(intoHost.code).not.toBe(0);
    for (const path of ['/up/', '/datalink/', '/deep/er/up/data/']) {
      const result = await cp([payload, `${target}:${path}`]);
      expect({ code: result.code, stderr: result.stderr }, path).toEqual({ code: 0, stderr: '' });
    }
    const app = pod.containers.get('app')!;
    expect((await docker(['diff', app])).split('\n')).toEqual(expect.arrayContaining(['A /payload.txt', 'A /data/payload.txt']));
    // The host directory the link names holds what it held, and the host's root gained nothing.
    expect(await readdir(hostDir)).toEqual(['host-canary']);
    expect(await readFile(join(hostDir, 'host-canary'), 'utf8')).toBe('of the host\n');
    await expect(lstat('/payload.txt')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(lstat('/data/payload.txt')).rejects.toMatchObject({ code: 'ENOENT' });
  }, CASE_MS * 2);

  it('the archive sidekick cannot be led into its own root or working directory through /proc, even by a directory swapped for a link after its stat', async () => {
    const pod = await makePod({ shell: true });
    const made = await engine();
    const archive = requireCapability(made, 'archive', 'the test');
    const id = `default/${pod.name}/app`;
    const app = pod.containers.get('app')!;
    // The first call starts the keeper; then the test marks its root (which a confined tar never sees).
    await docker(['exec', app, 'sh', '-c', 'mkdir -p /dst /marked && echo target-side >/marked/whose']);
    expect((await archive.statPath(id, '/dst'))?.kind).toBe('dir');
    const [keeper] = await sidekicksOf(pod);
    expect(keeper?.state).toBe('running');
    await docker(['exec', keeper!.id, 'sh', '-c', 'mkdir -p /marked && echo sidekick-side >/marked/whose && echo sidekick >/sidekick-canary']);
    const hostPid = (await docker(['inspect', '-f', '{{.State.Pid}}', keeper!.id])).trim();
    // Its PID as the target's PID namespace numbers it (the last NSpid).
    const status = await readFile(`/proc/${hostPid}/status`, 'utf8');
    const keeperPid = /^NSpid:.*\s(\d+)$/m.exec(status)![1]!;

    await docker(['exec', app, 'sh', '-c', [
      `ln -s /proc/${keeperPid}/root/sidekick-canary /k`,
      `ln -s /proc/${keeperPid}/root/marked /kroot`,
      `ln -s /proc/${keeperPid}/cwd /kcwd`,
      'ln -s /proc/self/cwd /selfcwd',
      'ln -s /proc/self/root/marked /selfroot',
    ].join(' && ')]);

    // Read: every way leads to the target's own files, or to nothing.
    expect(await archive.statPath(id, '/k/.')).toBeUndefined();
    await expect(archive.getArchive(id, '/k/.')).rejects.toMatchObject({ code: 'ENGINE_ERROR' });
    for (const path of ['/kroot/whose', '/selfroot/whose', '/kcwd/marked/whose', '/selfcwd/marked/whose']) {
      const { tar } = await archive.getArchive(id, path);
      const bytes = await text(tar as unknown as NodeJS.ReadableStream & AsyncIterable<Buffer>);
      expect(bytes, path).toContain('target-side');
      expect(bytes, path).not.toContain('sidekick-side');
    }

    // Write: through the keeper's root and the tar's own working directory, into the target.
    await archive.putArchive(id, '/kroot', streamOf(await tarBytes([{ name: 'via-kroot', type: 'file', content: 'x' }])));
    await archive.putArchive(id, '/selfcwd', streamOf(await tarBytes([{ name: 'via-selfcwd', type: 'file', content: 'x' }])));
    // The same through the unpacker (an upload with noOverwriteDirNonDir): it starts in the keeper's /bin.
    await archive.putArchive(id, '/kroot', streamOf(await tarBytes([{ name: 'via-kroot-unpacked', type: 'file', content: 'x' }])), { noOverwriteDirNonDir: true });
    await archive.putArchive(id, '/kcwd', streamOf(await tarBytes([{ name: 'via-kcwd-unpacked', type: 'file', content: 'x' }])), { noOverwriteDirNonDir: true });
    // A directory swapped for a link to the keeper's root after the stat that found it a directory.
    await docker(['exec', app, 'sh', '-c', `rm -rf /dst && ln -s /proc/${keeperPid}/root/marked /dst`]);
    await archive.putArchive(id, '/dst', streamOf(await tarBytes([{ name: 'via-swap', type: 'file', content: 'x' }])));
    const { tar } = await archive.getArchive(id, '/dst/.');
    const swapped = await text(tar as unknown as NodeJS.ReadableStream & AsyncIterable<Buffer>);
    expect(swapped).toContain('target-side');
    expect(swapped).not.toContain('sidekick-side');

    expect((await docker(['exec', app, 'ls', '/marked'])).split('\n').filter((name) => name !== '' && !name.startsWith('race-')).sort()).toEqual(['via-kroot', 'via-kroot-unpacked', 'via-swap', 'whose']);
    expect((await docker(['exec', app, 'ls', '/via-kcwd-unpacked'])).trim()).toBe('/via-kcwd-unpacked');
    expect((await docker(['exec', app, 'ls', '/via-selfcwd'])).trim()).toBe('/via-selfcwd');
    // The target swapping a directory and a link into the keeper's root as fast as it can, while
    // writes and reads go on: whichever wins each time, nothing lands in or comes from the keeper.
    await docker(['exec', '-d', app, 'sh', '-c', `while [ ! -e /stop-swapping ]; do rm -rf /race; mkdir /race; rm -rf /race; ln -s /proc/${keeperPid}/root/marked /race; done`]);
    try {
      for (let round = 0; round < 12; round += 1) {
        const options = round % 2 === 0 ? {} : { noOverwriteDirNonDir: true };
        await archive.putArchive(id, '/race', streamOf(await tarBytes([{ name: `race-${round}`, type: 'file', content: 'x' }])), options).catch(() => undefined);
        const read = await archive.getArchive(id, '/race/.').catch(() => undefined);
        if (read !== undefined) expect(await text(read.tar as unknown as NodeJS.ReadableStream & AsyncIterable<Buffer>).catch(() => '')).not.toContain('sidekick-side');
      }
    } finally {
      await docker(['exec', app, 'touch', '/stop-swapping']);
    }
    // The keeper's own root: what the test put there, and nothing else.
    expect((await docker(['exec', keeper!.id, 'ls', '/marked'])).trim()).toBe('whose');
    expect((await docker(['exec', keeper!.id, 'cat', '/marked/whose'])).trim()).toBe('sidekick-side');
    await expect(docker(['exec', keeper!.id, 'ls', '/via-selfcwd', '/bin/via-selfcwd'])).rejects.toThrow();
    await expect(docker(['exec', keeper!.id, 'ls', '/via-kcwd-unpacked'])).rejects.toThrow();
    await expect(docker(['exec', keeper!.id, 'ls', '/bin/via-kcwd-unpacked'])).rejects.toThrow();
    made.close();
  }, CASE_MS);

  it('ends its ephemeral sidekick when cp is killed with -9 in the middle of a read, and adds no zombie to the target', async () => {
    const pod = await makePod();
    const config = await kubeconfig();
    // 64 MiB: the CLI is killed once the first MiB of it has come out.
    const app = pod.containers.get('app')!;
    const big = join(await world.dir(), 'big');
    await writeFile(big, randomBytes(64 << 20));
    await docker(['cp', big, `${app}:/big`]);
    const client = spawn(process.execPath, [CLI_PATH, 'cp', '--kubeconfig', config, `pod/${pod.name}/app:/big`, '-'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SIDEKICK_KUBE_TOOLBOX: await defaultToolboxImage() },
    });
    const hostPid = Number((await docker(['inspect', '-f', '{{.State.Pid}}', app])).trim());
    try {
      let received = 0;
      client.stdout.on('data', (chunk: Buffer) => (received += chunk.length));
      for (const deadline = Date.now() + 120_000; received < 1 << 20; ) {
        if (Date.now() > deadline || client.exitCode !== null) throw new Error(`the read never started (${received} bytes)`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(received).toBeLessThan(64 << 20);
      client.kill('SIGKILL');
      for (const deadline = Date.now() + 60_000; (await sidekicksOf(pod)).some((s) => s.state !== 'exited'); ) {
        if (Date.now() > deadline) throw new Error(`the sidekick outlived its client: ${JSON.stringify(await sidekicksOf(pod))}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      // The tar of the read has ended too: nothing but the target's own process is left in its PID namespace.
      for (const deadline = Date.now() + 30_000; ; ) {
        const left = await othersInNamespaceOf(hostPid);
        if (left.length === 0) break;
        if (Date.now() > deadline) throw new Error(`left in the target's PID namespace: ${left.join('; ')}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      client.kill('SIGKILL');
    }
  }, CASE_MS);

  it('reads the app\'s own root in a pod that shares one PID namespace (PID 1 is the pause process)', async () => {
    const pod = await makePod({ shareProcessNamespace: true, snapshot: true });
    const config = await kubeconfig();
    const env = { SIDEKICK_KUBE_TOOLBOX: await defaultToolboxImage() };
    const read = await runCli(['cp', '--kubeconfig', config, `pod/${pod.name}/app:/server`, '-'], { env, timeoutMs: CASE_MS });
    expect({ code: read.code, stderr: read.stderr }).toEqual({ code: 0, stderr: '' });
    // The scratch server's program, byte for byte as Docker reads it; the pause container's root has none.
    await docker(['cp', `${pod.containers.get('app')!}:/server`, join(await world.dir(), 'server')]);
    const entries = await tarEntries(read.stdout);
    expect([...entries.keys()]).toEqual(['server']);
    expect(entries.get('server')!.equals(await readFile(join(await world.dir(), 'server')))).toBe(true);
  }, CASE_MS);

  it('refuses a stopped container in a pod in one line: an ephemeral container needs it running', async () => {
    const pod = await makePod();
    const config = await kubeconfig();
    await docker(['stop', '-t', '0', pod.containers.get('app')!]);
    const env = { SIDEKICK_KUBE_TOOLBOX: await defaultToolboxImage() };
    for (const args of [['ls', `pod/${pod.name}/app:/`], ['cp', `pod/${pod.name}/app:/server`, '-']]) {
      const result = await runCli([args[0]!, '--kubeconfig', config, ...args.slice(1)], { env, timeoutMs: CASE_MS });
      expect(result.code, args.join(' ')).toBe(125);
      const [line, , rest] = result.stderr.split('\n');
      expect(line, args.join(' ')).toMatch(/^sidekick: container pod\/\S+\/app is (exited|stopped)[;,] /);
      expect(rest).toBe('');
    }
    expect(await sidekicksOf(pod)).toEqual([]);
  }, CASE_MS);
});
