import { describe, expect, it } from 'vitest';
import { DOCKER_DEFAULT_CAPABILITY_MASK } from './capabilities.js';
import { readFixture, readFixtureText } from './fixtures/read-fixture.js';
import { parseStatus } from './status.js';

describe('parseStatus on captured samples', () => {
  it('reads a root container with Docker default capabilities', () => {
    const { value, problems } = parseStatus(readFixture('root-httpd.status'));
    expect(problems).toEqual([]);
    expect(value).toEqual({
      name: 'busybox',
      state: { code: 'S', name: 'sleeping' },
      pid: 1,
      ppid: 0,
      tracerPid: 0,
      uid: { real: 0, effective: 0, savedSet: 0, filesystem: 0 },
      gid: { real: 0, effective: 0, savedSet: 0, filesystem: 0 },
      groups: [0],
      threads: 1,
      vmRssBytes: 1524 * 1024,
      capabilities: {
        inheritable: 0n,
        permitted: 0xa80425fbn,
        effective: 0xa80425fbn,
        bounding: 0xa80425fbn,
        ambient: 0n,
      },
      noNewPrivs: false,
      seccomp: 'filter',
    });
    expect(value.capabilities.bounding).toBe(DOCKER_DEFAULT_CAPABILITY_MASK);
  });

  it('reads a non-root container with supplementary groups and no-new-privileges', () => {
    const { value, problems } = parseStatus(readFixture('nonroot-nc.status'));
    expect(problems).toEqual([]);
    expect(value.uid).toEqual({ real: 65532, effective: 65532, savedSet: 65532, filesystem: 65532 });
    expect(value.gid).toEqual({ real: 65532, effective: 65532, savedSet: 65532, filesystem: 65532 });
    expect(value.groups).toEqual([1000, 2000, 65532]);
    expect(value.capabilities).toEqual({
      inheritable: 0n,
      permitted: 0n,
      effective: 0n,
      bounding: 1n << 10n,
      ambient: 0n,
    });
    expect(value.noNewPrivs).toBe(true);
  });

  it('keeps a comm that imitates the stat format as the name', () => {
    const { value, problems } = parseStatus(readFixture('helper-spill.status'));
    expect(problems).toEqual([]);
    expect(value.name).toBe('sk) Z 99 (x)');
    expect(value.capabilities.effective).toBe(0xa00c15fbn);
  });

  it('reads a many-threaded host daemon and a host process holding nearly every capability', () => {
    const dockerd = parseStatus(readFixtureText('host-dockerd.status'));
    expect(dockerd.problems).toEqual([]);
    expect(dockerd.value).toMatchObject({ name: 'dockerd', pid: 2390, ppid: 1, threads: 14, vmRssBytes: 92432 * 1024 });
    const cat = parseStatus(readFixtureText('host-cat.status'));
    expect(cat.problems).toEqual([]);
    expect(cat.value.capabilities.bounding).toBe(0x1fffeffffffn);
    expect(cat.value.seccomp).toBe('disabled');
  });
});

describe('parseStatus on hostile input', () => {
  const sample = readFixtureText('root-httpd.status');

  it('reads CRLF line endings', () => {
    const { value, problems } = parseStatus(sample.replaceAll('\n', '\r\n'));
    expect(problems).toEqual([]);
    expect(value.name).toBe('busybox');
    expect(value.seccomp).toBe('filter');
  });

  it('reports the fields a truncated file lacks and keeps the ones it has', () => {
    const { value, problems } = parseStatus(sample.slice(0, sample.indexOf('Uid:') + 8));
    expect(value).toMatchObject({ name: 'busybox', pid: 1, ppid: 0 });
    expect(value.uid).toBeUndefined();
    expect(problems).toEqual([
      'line 9: cannot read Uid: "0\\t0"',
      'missing field Gid',
      'missing field Threads',
      'missing field CapInh',
      'missing field CapPrm',
      'missing field CapEff',
      'missing field CapBnd',
    ]);
  });

  it('reports every required field of an empty file', () => {
    const { value, problems } = parseStatus('');
    expect(value).toEqual({ capabilities: {} });
    expect(problems).toHaveLength(11);
  });

  it('rejects numbers too large for their field instead of rounding them', () => {
    const { value, problems } = parseStatus(
      'Pid:\t99999999999999999999\nUid:\t4294967296\t0\t0\t0\nCapEff:\t1ffffffffffffffff\nVmRSS:\t9999999999999999 kB\n',
    );
    expect(value.pid).toBeUndefined();
    expect(value.uid).toBeUndefined();
    expect(value.capabilities.effective).toBeUndefined();
    expect(value.vmRssBytes).toBeUndefined();
    expect(problems.slice(0, 4)).toEqual([
      'line 1: cannot read Pid: "99999999999999999999"',
      'line 2: cannot read Uid: "4294967296\\t0\\t0\\t0"',
      'line 3: cannot read CapEff: "1ffffffffffffffff"',
      'line 4: cannot read VmRSS: "9999999999999999 kB"',
    ]);
  });

  it('keeps the full 64 bits of a capability mask', () => {
    const { value } = parseStatus('CapBnd:\tffffffffffffffff\n');
    expect(value.capabilities.bounding).toBe(0xffffffffffffffffn);
  });

  it('unescapes the name and keeps its edge spaces', () => {
    expect(parseStatus('Name:\t a\\nb\\\\c \n').value.name).toBe(' a\nb\\c ');
  });

  it('keeps the first of repeated fields', () => {
    const { value, problems } = parseStatus('Pid:\t1\nPid:\t666\n');
    expect(value.pid).toBe(1);
    expect(problems).toContain('line 2: Pid repeated; keeping the first');
  });

  it('reports lines that are not key-value pairs, NULs included', () => {
    const { value, problems } = parseStatus('Pid:\t7\n\0\0garbage\nThreads:\t2\0\n');
    expect(value.pid).toBe(7);
    expect(value.threads).toBeUndefined();
    expect(problems).toContain('line 2: not a "Key: value" line: "\\u0000\\u0000garbage"');
    expect(problems).toContain('line 3: cannot read Threads: "2\\u0000"');
  });

  it('reads an empty group list and rejects unknown seccomp modes and flags', () => {
    const { value, problems } = parseStatus('Groups:\t\nSeccomp:\t3\nNoNewPrivs:\tyes\n');
    expect(value.groups).toEqual([]);
    expect(value.seccomp).toBeUndefined();
    expect(value.noNewPrivs).toBeUndefined();
    expect(problems).toContain('line 2: cannot read Seccomp: "3"');
    expect(problems).toContain('line 3: cannot read NoNewPrivs: "yes"');
  });
});
