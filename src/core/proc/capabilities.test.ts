import { describe, expect, it } from 'vitest';
import {
  CAPABILITY_NAMES,
  DOCKER_DEFAULT_CAPABILITY_MASK,
  capabilityBit,
  capabilityMask,
  decodeCapabilities,
  diffFromDockerDefault,
  parseCapabilityName,
} from './capabilities.js';
import { readFixture } from './fixtures/read-fixture.js';
import { parseStatus } from './status.js';

const effectiveOf = (fixture: string) => parseStatus(readFixture(fixture)).value.capabilities.effective ?? -1n;

describe('capability names', () => {
  it('knows every capability up to CAP_CHECKPOINT_RESTORE by its bit', () => {
    expect(CAPABILITY_NAMES).toHaveLength(41);
    expect(capabilityBit('CAP_CHOWN')).toBe(0);
    expect(capabilityBit('CAP_SYS_ADMIN')).toBe(21);
    expect(capabilityBit('CAP_CHECKPOINT_RESTORE')).toBe(40);
  });

  it('matches the mask a default Docker container shows', () => {
    expect(DOCKER_DEFAULT_CAPABILITY_MASK).toBe(0xa80425fbn);
    expect(effectiveOf('root-httpd.status')).toBe(DOCKER_DEFAULT_CAPABILITY_MASK);
  });

  it('reads names the way docker --cap-add accepts them', () => {
    expect(parseCapabilityName('net_admin')).toBe('CAP_NET_ADMIN');
    expect(parseCapabilityName('CAP_SYS_PTRACE')).toBe('CAP_SYS_PTRACE');
    expect(parseCapabilityName(' bpf ')).toBe('CAP_BPF');
    expect(parseCapabilityName('ALL')).toBeUndefined();
    expect(parseCapabilityName('CAP_')).toBeUndefined();
  });
});

describe('decodeCapabilities', () => {
  it('decodes a captured default set', () => {
    expect(decodeCapabilities(effectiveOf('root-httpd.status'))).toEqual({
      names: [
        'CAP_CHOWN',
        'CAP_DAC_OVERRIDE',
        'CAP_FOWNER',
        'CAP_FSETID',
        'CAP_KILL',
        'CAP_SETGID',
        'CAP_SETUID',
        'CAP_SETPCAP',
        'CAP_NET_BIND_SERVICE',
        'CAP_NET_RAW',
        'CAP_SYS_CHROOT',
        'CAP_MKNOD',
        'CAP_AUDIT_WRITE',
        'CAP_SETFCAP',
      ],
      unknownBits: [],
    });
  });

  it('decodes a host set that lacks only CAP_SYS_RESOURCE', () => {
    const { names, unknownBits } = decodeCapabilities(effectiveOf('host-cat.status'));
    expect(names).toEqual(CAPABILITY_NAMES.filter((name) => name !== 'CAP_SYS_RESOURCE'));
    expect(unknownBits).toEqual([]);
  });

  it('reports bits newer than this list, and reads at most 64 bits', () => {
    expect(decodeCapabilities((1n << 41n) | (1n << 63n) | 1n)).toEqual({ names: ['CAP_CHOWN'], unknownBits: [41, 63] });
    expect(decodeCapabilities(1n << 64n)).toEqual({ names: [], unknownBits: [] });
    expect(decodeCapabilities(0n)).toEqual({ names: [], unknownBits: [] });
  });

  it('round-trips through capabilityMask', () => {
    expect(capabilityMask(decodeCapabilities(0x1fffeffffffn).names)).toBe(0x1fffeffffffn);
  });
});

describe('diffFromDockerDefault', () => {
  it('is empty for a default container', () => {
    expect(diffFromDockerDefault(effectiveOf('root-httpd.status'))).toEqual({ added: [], dropped: [], unknownBits: [] });
  });

  it('shows --cap-add SYS_PTRACE --cap-add NET_ADMIN --cap-drop NET_RAW --cap-drop MKNOD', () => {
    expect(diffFromDockerDefault(effectiveOf('helper-spill.status'))).toEqual({
      added: ['CAP_NET_ADMIN', 'CAP_SYS_PTRACE'],
      dropped: ['CAP_NET_RAW', 'CAP_MKNOD'],
      unknownBits: [],
    });
  });

  it('shows everything dropped for a non-root process, whose effective set is empty', () => {
    const diff = diffFromDockerDefault(effectiveOf('nonroot-nc.status'));
    expect(diff.added).toEqual([]);
    expect(diff.dropped).toHaveLength(14);
  });

  it('counts unknown bits as beyond the default', () => {
    expect(diffFromDockerDefault(DOCKER_DEFAULT_CAPABILITY_MASK | (1n << 50n)).unknownBits).toEqual([50]);
  });
});
