import { describe, expect, it } from 'vitest';
import { parseApkInstalled, parseDpkgList, planOsEject, type OsEjectInput } from './eject-plan.js';

const base: OsEjectInput = {
  added: [],
  baselineAdded: [],
  written: ['/usr', '/usr/bin', '/usr/bin/apt', '/opt', '/var', '/var/lib', '/var/lib/dpkg', '/var/lib/dpkg/status', '/etc/os-release'],
  createdRoots: ['/etc/os-release', '/opt', '/usr', '/var'],
  packageManagerOwned: new Set(['/usr/bin/curl', '/etc/ssl', '/etc/ssl/openssl.cnf']),
  exclude: ['/.sidekick', '/.sidekick-os.json'],
};

describe('OS eject planner', () => {
  it('removes what was written and what the package manager recorded, each subtree whole', () => {
    const plan = planOsEject({ ...base, added: [...base.written!, '/usr/bin/curl', '/etc/ssl', '/etc/ssl/openssl.cnf', '/.sidekick', '/.sidekick/bin'] });
    expect(plan).toEqual({ remove: ['/etc/os-release', '/etc/ssl', '/opt', '/usr', '/var'], kept: [], holders: [], others: [] });
  });

  it('keeps the application’s paths, inside injected directories too, and the directories that hold them', () => {
    const app = ['/cache', '/cache/blob', '/backup', '/www', '/www/index.html', '/log', '/opt/app', '/opt/app/data.db', '/etc/systemd', '/etc/systemd/unit'];
    const plan = planOsEject({ ...base, added: [...base.written!, ...app] });
    expect(plan.kept).toEqual(['/backup', '/cache', '/etc/systemd', '/log', '/opt/app', '/www']);
    expect(plan.holders).toEqual(['/opt']);
    expect(plan.remove).toEqual(['/etc/os-release', '/usr', '/var']);
  });

  it('counts files the package manager made from ours as ours, not from the application’s', () => {
    const plan = planOsEject({ ...base, added: ['/etc/os-release.dpkg-old', '/etc/ssl/openssl.cnf.dpkg-dist', '/etc/app.conf.dpkg-new', '/etc/os-release.apk-new', '/.dpkg-new'] });
    expect(plan.remove.sort()).toEqual(['/etc/os-release.apk-new', '/etc/os-release.dpkg-old', '/etc/ssl/openssl.cnf.dpkg-dist']);
    expect(plan.kept).toEqual(['/.dpkg-new', '/etc/app.conf.dpkg-new']);
  });

  it('counts the package manager’s own state only when the injection brought that package manager', () => {
    const added = ['/var/lib/apt', '/var/lib/apt/lists', '/var/cache/apt', '/var/log/dpkg.log', '/etc/ld.so.cache'];
    expect(planOsEject({ ...base, added }).kept).toEqual([]);
    const noDpkg = planOsEject({ ...base, written: ['/var', '/var/lib'], added });
    expect(noDpkg.remove).toEqual([]);
    expect(noDpkg.kept).toEqual(['/etc/ld.so.cache', '/var/cache/apt', '/var/lib/apt', '/var/log/dpkg.log']);
  });

  it('never touches what was added before the injection', () => {
    const plan = planOsEject({ ...base, baselineAdded: ['/usr'], added: ['/usr'] });
    expect(plan).toEqual({ remove: [], kept: [], holders: [], others: [] });
  });

  it('with a walk as the baseline (a pod): every path there before is never ours, even one the package manager now claims', () => {
    // The target's own CA file, overwritten by a package the OS's apt installed: a walk lists it before and after.
    const before = ['/etc', '/etc/hosts', '/etc/ssl', '/etc/ssl/openssl.cnf', '/server'];
    const plan = planOsEject({ ...base, baselineAdded: before, added: [...before, ...base.written!, '/usr/bin/curl', '/srv', '/srv/app.log'] });
    expect(plan.remove).toEqual(['/etc/os-release', '/opt', '/usr', '/var']);
    expect(plan.kept).toEqual(['/srv']);
  });

  it('falls back to the created roots for a manifest that has no written list', () => {
    const plan = planOsEject({ ...base, written: undefined, added: ['/usr/x', '/srv'] });
    expect(plan.remove).toEqual(['/usr/x']);
    expect(plan.kept).toEqual(['/srv']);
  });
});

describe('package manager records', () => {
  it('reads dpkg file lists', () => {
    expect(parseDpkgList('/.\n/usr\n/usr/bin/curl\n\nnot-absolute\n')).toEqual(['/usr', '/usr/bin/curl']);
  });

  it('reads apk’s database', () => {
    const db = 'P:busybox\nF:bin\nR:busybox\nF:etc\nR:securetty\n\nP:x\nF:usr/bin\nR:x\nR:../evil\n';
    expect(parseApkInstalled(db)).toEqual(['/bin', '/bin/busybox', '/etc', '/etc/securetty', '/usr/bin', '/usr/bin/x']);
  });
});
