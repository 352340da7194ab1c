/**
 * Real tools in the chroot view (docs/RELIABILITY.md, "Toolboxes"): a toolbox built here from
 * Debian packages (glibc, dynamically linked) and a musl-dynamic one run with `/` the target's
 * root, through their own loader, writing nothing into the target. watchedTargets checks after
 * each test that the target is untouched (docker diff, same process, no zombie) and that no
 * sidekick is left.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { check, docker, run } from '../fixtures/docker-cli.js';
import { CLI_PATH, httpGet, runCli } from './harness.js';
import { watchedTargets } from './watched-targets.js';

/** The issue's own example set; the image is cached by content, so the suite builds it at most once per machine. */
const TOOLS = 'strace,tcpdump,gdb,curl,iproute2,procps,lsof';

describe('toolboxes in the chroot view', () => {
  const targets = watchedTargets();
  const target = targets.start.bind(targets);
  let debianToolbox = '';

  beforeAll(async () => {
    const built = await runCli(['toolbox', 'build', '--tools', TOOLS], { timeoutMs: 600_000 });
    expect(built.code, built.stderr).toBe(0);
    debianToolbox = built.stdout.toString().trim();
  });

  afterEach(() => targets.checkAndRemove());

  describe('a Debian toolbox (--tools)', () => {
    it.each([
      ['a FROM scratch target', 'scratchServer', {}],
      ['a distroless target running as 65532', 'distroless', { user: '65532:65532' }],
      ['a read-only target', 'scratchServer', { readOnly: true }],
    ] as const)("strace -p 1 shows the server's accept when a request comes, in %s", async (_what, fixture, options) => {
      const t = await target(inject('fixtures')[fixture], options);
      // head ends the trace after the accept: strace then dies of SIGPIPE and the kernel detaches it.
      const session = spawnCli(['exec', '--tools', TOOLS, t.id, '--', 'sh', '-c', 'strace -f -e trace=network -p 1 2>&1 | grep -m 1 -E "^(\\[pid +[0-9]+\\] )?accept"']);
      // Requests until the trace has seen one: the first may come before strace is attached.
      while (session.exitCode === undefined) {
        await httpGet(t.ip, 8080).catch(() => undefined);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(session.exitCode, session.stderr).toBe(0);
      expect(session.stdout).toMatch(/accept4?\(3, /);
    });

    it('gdb attaches to the target and lists its threads', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const result = await runCli(['exec', '--debug', '--tools', TOOLS, t.id, '--', 'gdb', '-p', '1', '-batch', '-ex', 'info threads']);
      expect(result.code, result.stderr).toBe(0);
      // --debug says which toolbox is used, and that it was not built again.
      expect(result.stderr).toContain(`sidekick: toolbox ${debianToolbox} (cached)`);
      expect(result.stdout.toString()).toMatch(/\* 1 +process 1 "server"/);
      expect(result.stdout.toString()).toMatch(/\[Inferior 1 \(process 1\) detached\]/);
    });

    it('curl, ss and ps work with / the target root, and curl reads the CA bundle of the toolbox', async () => {
      const t = await target(inject('fixtures').scratchServer);
      const script = [
        'ls /',
        'echo =====',
        'curl -sS http://127.0.0.1:9090/',
        'echo =====',
        'ss -tlnp',
        'echo =====',
        'curl -sv https://127.0.0.1:8080/ 2>&1 | grep -i "CAfile:"',
        'echo =====',
        'head -c 27 "$SSL_CERT_FILE"; echo',
        'echo =====',
        'ps aux | head -1',
      ].join('; ');
      // sh is the toolbox's (bash), not busybox's, whose applets would answer for ps and the rest.
      const result = await runCli(['exec', '--tools', TOOLS, t.id, '--', 'sh', '-c', script]);
      expect(result.code, result.stderr).toBe(0);
      const [root = '', loopback, sockets = '', cafile = '', bundle, ps] = result.stdout.toString().split('=====\n');
      expect(ps).toMatch(/^USER +PID %CPU %MEM/);
      expect(root.split('\n')).toContain('server');
      expect(loopback).toBe('loopback only\n');
      expect(sockets).toMatch(/LISTEN .*0\.0\.0\.0:8080 .*users:\(\("server",pid=1,fd=3\)\)/);
      expect(sockets).toMatch(/127\.0\.0\.1:9090 .*users:\(\("server",pid=1,fd=4\)\)/);
      expect(cafile).toMatch(/CAfile: \/proc\/\d+\/root\/etc\/ssl\/certs\/ca-certificates\.crt/);
      expect(bundle).toBe('-----BEGIN CERTIFICATE-----\n');
    });

    it('leaves no zombie when a tool of the toolbox is left running in the background', async () => {
      const t = await target(inject('fixtures').scratchServer);
      // sleep is busybox's, strace the toolbox's (through its loader): both outlive the shell.
      const result = await runCli(['exec', '--tools', TOOLS, t.id, '--', 'bash', '-c', 'sleep 30 & strace -o /dev/null sleep 30 & echo started']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.toString()).toBe('started\n');
      // watchedTargets then checks the zombie count and that no sidekick is left.
    });

    it("keeps the toolbox's root with --no-chroot: the target at /target, the toolbox's own programs first", async () => {
      const t = await target(inject('fixtures').scratchServer);
      const result = await runCli(['exec', '--tools', TOOLS, '--no-chroot', t.id, '--', 'sh', '-c', 'ls /target; ps aux | head -1']);
      expect(result.code, result.stderr).toBe(0);
      const out = result.stdout.toString().split('\n');
      expect(out).toContain('server');
      // procps's header, not busybox's applet (which the session's busybox shell would prefer).
      expect(out).toContainEqual(expect.stringMatching(/^USER +PID %CPU %MEM/));
    });

    it('runs its tools as the target user too (--user target)', async () => {
      const t = await target(inject('fixtures').distroless, { user: '65532:65532' });
      const result = await runCli(['exec', '--tools', TOOLS, '--user', 'target', t.id, '--', 'bash', '-c', 'ps -o uid=,comm= -p 1; ls /app']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.toString()).toMatch(/^\s*65532 server\n/);
    });

    it('refuses to start a tool through glibc\'s loader when the target has /etc/ld.so.preload', async () => {
      const t = await target(inject('fixtures').scratchServer, { dockerArgs: ['--tmpfs', '/etc'] });
      // Planted with the static toolbox, on a tmpfs of the target's (so that docker diff stays as it was).
      const planted = await runCli(['exec', t.id, '--', 'sh', '-c', 'echo /x.so > /etc/ld.so.preload']);
      expect(planted.code, planted.stderr).toBe(0);
      const result = await runCli(['exec', '--tools', TOOLS, t.id, '--', 'strace', '-V']);
      expect(result.code).toBe(126);
      expect(result.stderr).toMatch(/the target has \/etc\/ld\.so\.preload/);
      // Not the test's to leave: the target must end as it started (watchedTargets compares docker diff).
      expect((await runCli(['exec', t.id, '--', 'rm', '/etc/ld.so.preload'])).code).toBe(0);
    });
  });

  describe('a musl-dynamic toolbox (--image)', () => {
    let image = '';
    let dir = '';

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'sidekick-musl-'));
      const root = join(dir, 'root');
      await writeFile(join(dir, 'hello.c'), '#include <stdio.h>\n#include <unistd.h>\nint main(int c, char **v) { printf("musl %s\\n", c > 1 && access(v[1], F_OK) == 0 ? "sees" : "misses"); return 0; }\n');
      await mkdir(join(root, 'usr/bin'), { recursive: true });
      await mkdir(join(root, 'usr/lib/x86_64-linux-musl'), { recursive: true });
      await mkdir(join(root, 'lib'), { recursive: true });
      await check('musl-gcc', ['-O2', '-o', join(root, 'usr/bin/musl-hello'), join(dir, 'hello.c')]);
      await copyFile('/usr/lib/x86_64-linux-musl/libc.so', join(root, 'usr/lib/x86_64-linux-musl/libc.so'));
      // An absolute link, as distributions ship: it must be followed in the toolbox, not in the target.
      await symlink('/usr/lib/x86_64-linux-musl/libc.so', join(root, 'lib/ld-musl-x86_64.so.1'));
      image = `sidekick-test-musl-toolbox:${Date.now()}`;
      await check('sh', ['-c', 'tar -C "$1" -c . | docker import - "$2" >/dev/null', 'sh', root, image]);
    });

    afterAll(async () => {
      if (image) await run('docker', ['image', 'rm', '-f', image]);
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('runs its program through its own loader, with / the target root', async () => {
      // The image itself is sound: in its own root the program finds its loader and itself.
      expect(await docker(['run', '--rm', image, '/usr/bin/musl-hello', '/usr/bin/musl-hello'])).toBe('musl sees\n');
      const t = await target(inject('fixtures').scratchServer);
      const result = await runCli(['exec', '--image', image, t.id, '--', 'musl-hello', '/server']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.toString()).toBe('musl sees\n');
      const missing = await runCli(['exec', '--image', image, t.id, '--', 'musl-hello', '/usr/bin/musl-hello']);
      expect(missing.stdout.toString()).toBe('musl misses\n');
    });
  });

  describe('sidekick toolbox', () => {
    it('lists the built toolbox with what it holds, tags it, and removes only toolboxes', async () => {
      const listed = await runCli(['toolbox', 'ls']);
      expect(listed.code, listed.stderr).toBe(0);
      const line = listed.stdout.toString().split('\n').find((l) => l.includes(debianToolbox)) ?? '';
      expect(line).toMatch(/mmdebstrap +\S+ +amd64 .*strace/);
      const tag = `sidekick-test-toolbox-tag:${Date.now()}`;
      const tagged = await runCli(['toolbox', 'build', '--tools', TOOLS.split(',').reverse().join(','), '--tag', tag]);
      expect(tagged.code, tagged.stderr).toBe(0);
      // The same content in another order: the cached image, not a second build.
      expect(tagged.stdout.toString()).toBe(`${debianToolbox}\n${tag}\n`);
      const removed = await runCli(['toolbox', 'rm', tag]);
      expect(removed.code, removed.stderr).toBe(0);
      expect((await run('docker', ['image', 'inspect', debianToolbox])).code).toBe(0);
      const notOurs = await runCli(['toolbox', 'rm', inject('fixtures').scratchServer]);
      expect(notOurs.code).toBe(125);
      expect(notOurs.stderr).toMatch(/is not a sidekick toolbox image; it is left alone/);
    });

    it('says what is missing: mmdebstrap, a package, or the archive', async () => {
      const noTool = await runCli(['toolbox', 'build', '--tools', 'strace,sidekick-test-unbuilt'], { env: { PATH: '/nonexistent' } });
      expect(noTool.code).toBe(125);
      expect(noTool.stderr).toMatch(/needs mmdebstrap, which is not installed here/);
      const noPackage = await runCli(['toolbox', 'build', '--tools', 'strace,sidekick-no-such-package'], { timeoutMs: 300_000 });
      expect(noPackage.code).toBe(125);
      expect(noPackage.stderr).toMatch(/has no package sidekick-no-such-package/);
      const offline = await runCli(['toolbox', 'build', '--tools', 'strace,sidekick-test-unbuilt'], { env: { SIDEKICK_DEBIAN_MIRROR: 'http://127.0.0.1:9/debian' }, timeoutMs: 300_000 });
      expect(offline.code).toBe(125);
      expect(offline.stderr).toMatch(/the Debian archive at http:\/\/127\.0\.0\.1:9\/debian is unreachable/);
      // A failed build leaves no image behind.
      expect(await docker(['images', '-q', '--filter', 'label=io.sidekick.toolbox.packages', '--filter', 'dangling=true'])).toBe('');
    });
  });
});

interface SpawnedCli {
  stdout: string;
  stderr: string;
  exitCode: number | undefined;
}

/** The CLI in the background; `exitCode` is set when it ends. */
function spawnCli(args: string[]): SpawnedCli {
  const state: SpawnedCli = { stdout: '', stderr: '', exitCode: undefined };
  const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.on('data', (chunk: Buffer) => (state.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (state.stderr += chunk.toString()));
  child.on('close', (code, signal) => (state.exitCode = code ?? (signal ? 128 : 1)));
  return state;
}
