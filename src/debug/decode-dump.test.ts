import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseFramedDump } from '../core/framed-dump.js';
import type { Target } from '../core/target.js';
import { decodeTargetDump, isIdentityMap, parseDu, parseLinkListing, parsePid1Links } from './decode-dump.js';
import { buildInspectReport } from './inspect-report.js';
import { privateNamespaces } from '../core/namespace-mode.js';

// Captured on this machine: the dump script run by a sidekick against the distroless fixture.
const captured = readFileSync(new URL('./fixtures/distroless-dump.txt', import.meta.url));

describe('decodeTargetDump on a captured dump', () => {
  const sample = decodeTargetDump(parseFramedDump(captured));

  it('reads the processes, leaving out the dumping shell', () => {
    expect(sample.selfPid).toBe(7);
    expect(sample.processes.map((process) => process.pid)).toEqual([1]);
    const [pid1] = sample.processes;
    expect(pid1!.cmdline).toEqual(['/app/server']);
    expect(pid1!.status.uid?.real).toBe(65532);
    expect(pid1!.fdLinks.filter((link) => link.target.startsWith('socket:'))).toHaveLength(2);
    expect(pid1!.mountNamespace).toMatch(/^mnt:\[\d+\]$/);
  });

  it('reads PID 1 details, sockets, cgroup files and the filesystem facts', () => {
    expect(sample.executable).toBe('/app/server');
    expect(sample.workingDirectory).toBe('/home/nonroot');
    expect(sample.namespaces.get('user')).toBe(4026531837);
    expect(sample.initialUserNamespace).toBe(true);
    expect(sample.inetSockets.filter((socket) => socket.state === 'LISTEN').map((socket) => socket.localPort).sort()).toEqual([8080, 9090]);
    expect(sample.cgroupVersion).toBe(1);
    expect(sample.cgroupFiles.get('pids/pids.current')).toBe('1');
    expect(sample.files.get('/etc/passwd')).toContain('nonroot:x:65532');
    expect(sample.shells).toEqual([]);
    expect(sample.libc).toEqual(['/lib/x86_64-linux-gnu/libc.so.6']);
    expect(sample.topLevel[0]).toEqual({ name: '/lib', kilobytes: 1892 });
    expect(sample.securityLabel).toBeUndefined();
    expect(sample.problems).toEqual([]);
  });

  it('makes a report from it', () => {
    const target = {
      id: 'f'.repeat(64), name: 'app', image: 'distroless', imageId: 'sha256:1', status: 'running', hostPid: 4242, startedAt: '', restartCount: 0,
      exitCode: 0, user: '65532:65532', env: [], entrypoint: [], cmd: [], workingDir: '', labels: {}, readOnlyRootfs: false,
      privileged: false, created: '', health: '', mounts: [], limits: { memoryBytes: 0, nanoCpus: 0, cpuQuotaMicros: 0, cpuPeriodMicros: 0, pidsLimit: 0 },
      appArmorProfile: '', capAdd: [], capDrop: [], securityOpt: [], namespaceModes: { ...privateNamespaces(), network: { kind: 'named', name: 'bridge' } },
    } satisfies Target;
    const report = buildInspectReport({ target, sample, sharing: new Map(), showSecrets: false });
    expect(report.user?.userName).toBe('nonroot');
    expect(report.filesystem?.kind).toBe('distroless');
    expect(report.sockets?.inet.find((socket) => socket.localPort === 8080)?.owners).toEqual([{ pid: 1, name: 'server' }]);
    expect(report.namespaces.find((ns) => ns.kind === 'user')?.host).toBe(true);
    expect(report.namespaces.find((ns) => ns.kind === 'net')?.host).toBe(false);
    expect(report.limits?.memory.limitBytes).toBeNull();
    expect(report.pid1?.hostPid).toBe(4242);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});

describe('listing parsers', () => {
  it('read link and namespace listings, taking only lines of the exact shape', () => {
    const links = parseLinkListing(
      "'/proc/1/fd/3' -> 'socket:[111178]'\n'/proc/1/fd/4' -> '/a b'\n'/proc/1/fd/3' -> 'socket:[111178]'\n'/proc/9/ns/mnt' -> 'mnt:[42]'\nstat: cannot read link\n'/proc/x/fd/1' -> 'socket:[1]'\n",
    );
    expect([...links.fds]).toEqual([[1, [{ pid: 1, target: 'socket:[111178]' }, { pid: 1, target: '/a b' }]]]);
    expect([...links.mountNamespaces]).toEqual([[9, 'mnt:[42]']]);
    const pid1 = parsePid1Links("'/proc/1/exe' -> '/app/my server'\n'/proc/1/cwd' -> '/'\n'/proc/1/ns/pid_for_children' -> 'pid:[4026532257]'\nbad line\n");
    expect(pid1).toEqual({ executable: '/app/my server', workingDirectory: '/', namespaces: new Map([['pid_for_children', 4026532257]]) });
  });

  it('tell the initial user namespace and read du lines', () => {
    expect(isIdentityMap('         0          0 4294967295\n')).toBe(true);
    expect(isIdentityMap('         0     100000      65536\n')).toBe(false);
    expect(parseDu('4\t/proc/1/root/tmp\n1892\t/proc/1/root/lib\ngarbage\n')).toEqual([
      { name: '/lib', kilobytes: 1892 },
      { name: '/tmp', kilobytes: 4 },
    ]);
  });
});
