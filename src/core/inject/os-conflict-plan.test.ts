import { describe, expect, it } from 'vitest';
import { packageManagerShellLeftOut, pathsToProbe, planOsInjection, type OsEntry, type TargetKind } from './os-conflict-plan.js';

const d = (path: string): OsEntry => ({ path, type: 'dir' });
const f = (path: string): OsEntry => ({ path, type: 'file' });
const l = (path: string): OsEntry => ({ path, type: 'symlink' });

const rootfs: OsEntry[] = [
  d('/bin'),
  f('/bin/sh'),
  d('/etc'),
  f('/etc/hosts'),
  f('/etc/os-release'),
  d('/etc/apt'),
  f('/etc/apt/sources.list'),
  d('/srv'),
  f('/srv/readme'),
  l('/lib'),
  d('/proc'),
  d('/dev'),
  f('/dev/null'),
  { path: '/bin/bash', type: 'hardlink', linkTarget: '/bin/sh' },
  { path: '/etc/hostname2', type: 'hardlink', linkTarget: '/etc/hosts' },
];

/** A scratch-like target: /etc with docker's mount points, /srv a file, /lib a symlink. */
function probeAll(target: Record<string, TargetKind>): Map<string, TargetKind> {
  const known = new Map<string, TargetKind>();
  for (let round = 0; round < 10; round++) {
    const wanted = pathsToProbe(rootfs, known);
    if (wanted.length === 0) return known;
    for (const path of wanted) known.set(path, target[path] ?? 'absent');
  }
  throw new Error('probing did not converge');
}

describe('OS conflict planner', () => {
  const target = { '/etc': 'dir', '/etc/hosts': 'file', '/srv': 'file', '/lib': 'symlink' } as const;

  it('probes only below directories the target has', () => {
    const first = pathsToProbe(rootfs, new Map());
    expect(first.sort()).toEqual(['/bin', '/etc', '/lib', '/srv']);
    const known = probeAll(target);
    expect([...known.keys()].sort()).toEqual(['/bin', '/etc', '/etc/apt', '/etc/hostname2', '/etc/hosts', '/etc/os-release', '/lib', '/srv']);
  });

  it('writes only what is absent, keeps the target’s files, and lists conflicts', () => {
    const plan = planOsInjection(rootfs, probeAll(target));
    expect([...plan.write]).toEqual(['/bin', '/bin/sh', '/etc/os-release', '/etc/apt', '/etc/apt/sources.list', '/bin/bash']);
    expect(plan.createdRoots).toEqual(['/bin', '/etc/apt', '/etc/os-release']);
    expect(plan.existingDirs).toEqual(['/', '/etc']);
    expect(plan.kept).toEqual(['/etc/hosts', '/lib']);
    expect(plan.conflicts).toEqual([{ path: '/srv', detail: 'the OS has a directory there, the target a file' }]);
    expect(plan.protectedSkipped).toBe(3);
    expect(plan.droppedHardlinks).toEqual(['/etc/hostname2']);
  });

  it('reports a file where the target has a directory', () => {
    const entries = [f('/data')];
    const plan = planOsInjection(entries, new Map([['/data', 'dir']]));
    expect(plan.conflicts).toEqual([{ path: '/data', detail: 'the OS has a file there, the target a directory' }]);
    expect(plan.write.size).toBe(0);
  });

  it('counts implicit parents as created roots', () => {
    const plan = planOsInjection([f('/opt/tool/bin')], new Map([['/opt', 'absent']]));
    expect(plan.createdRoots).toEqual(['/opt']);
  });

  it('refuses to plan with paths it was not told about', () => {
    expect(() => planOsInjection([f('/x')], new Map())).toThrow(/not probed/);
  });
});

describe('packageManagerShellLeftOut', () => {
  const debian: OsEntry[] = [
    { path: '/bin', type: 'symlink' },
    { path: '/usr', type: 'dir' },
    { path: '/usr/bin', type: 'dir' },
    { path: '/usr/bin/dpkg', type: 'file' },
    { path: '/usr/bin/sh', type: 'symlink' },
  ];

  it("names /bin when a Debian's merged /bin is left out: its scripts would run the target's shell", () => {
    const plan = planOsInjection(debian, new Map<string, TargetKind>([['/bin', 'dir'], ['/usr', 'absent']]));
    expect(plan.conflicts.map((c) => c.path)).toEqual(['/bin']);
    expect(packageManagerShellLeftOut(debian, plan.conflicts)).toBe('/bin');
  });

  it('says nothing when /bin is written, or the OS has no dpkg, or the conflict is elsewhere', () => {
    const scratch = planOsInjection(debian, new Map<string, TargetKind>([['/bin', 'absent'], ['/usr', 'absent']]));
    expect(packageManagerShellLeftOut(debian, scratch.conflicts)).toBeUndefined();
    const withoutDpkg = debian.filter((entry) => entry.path !== '/usr/bin/dpkg');
    expect(packageManagerShellLeftOut(withoutDpkg, [{ path: '/bin', detail: '' }])).toBeUndefined();
    expect(packageManagerShellLeftOut(debian, [{ path: '/srv', detail: '' }])).toBeUndefined();
  });
});
