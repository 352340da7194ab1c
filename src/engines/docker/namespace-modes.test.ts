import { describe, expect, it } from 'vitest';
import { dockerNetworkMode, namespaceModeOf, namespaceModesOf, networkModeOf } from './namespace-modes.js';

describe("Docker's namespace modes", () => {
  it('reads each mode the engine records', () => {
    expect(namespaceModeOf('container:web')).toEqual({ kind: 'container', reference: 'web' });
    expect(namespaceModeOf('host')).toEqual({ kind: 'host' });
    expect(namespaceModeOf('shareable')).toEqual({ kind: 'shareable' });
    for (const own of ['', 'private', 'none', undefined]) expect(namespaceModeOf(own)).toEqual({ kind: 'private' });
  });

  it('reads network modes: a named network, none, host, another container', () => {
    expect(networkModeOf('bridge')).toEqual({ kind: 'named', name: 'bridge' });
    expect(networkModeOf('')).toEqual({ kind: 'named', name: 'default' });
    expect(networkModeOf('none')).toEqual({ kind: 'private' });
    expect(networkModeOf('host')).toEqual({ kind: 'host' });
    expect(networkModeOf('container:0123abc')).toEqual({ kind: 'container', reference: '0123abc' });
  });

  it('writes back what it read, for the modes a container can be created with', () => {
    for (const mode of ['bridge', 'default', 'none', 'host', 'container:0123abc', 'my-net']) expect(dockerNetworkMode(networkModeOf(mode))).toBe(mode);
    expect(() => dockerNetworkMode({ kind: 'pod', pod: 'shop-0' })).toThrow(/pod shop-0/);
  });

  it('maps a whole HostConfig, and one the engine left out', () => {
    expect(namespaceModesOf({ NetworkMode: 'container:a', PidMode: 'container:a', IpcMode: 'shareable', UTSMode: 'host', CgroupnsMode: 'private', UsernsMode: '' })).toEqual({
      network: { kind: 'container', reference: 'a' },
      pid: { kind: 'container', reference: 'a' },
      ipc: { kind: 'shareable' },
      uts: { kind: 'host' },
      cgroup: { kind: 'private' },
      user: { kind: 'private' },
    });
    expect(namespaceModesOf(undefined).network).toEqual({ kind: 'named', name: 'default' });
  });
});
