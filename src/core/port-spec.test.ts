import { describe, expect, it } from 'vitest';
import { SidekickError } from './errors.js';
import { formatHostPort, parsePortSpec, parsePortSpecs } from './port-spec.js';

describe('parsePortSpec', () => {
  it('uses the remote port locally when only REMOTE_PORT is given', () => {
    expect(parsePortSpec('8080')).toEqual({ localHost: '127.0.0.1', localPort: 8080, remotePort: 8080, protocol: 'tcp' });
  });

  it('reads LOCAL_PORT:REMOTE_PORT, with 0 or an empty local port meaning a free one', () => {
    expect(parsePortSpec('9000:80')).toEqual({ localHost: '127.0.0.1', localPort: 9000, remotePort: 80, protocol: 'tcp' });
    expect(parsePortSpec('0:80')).toEqual({ localHost: '127.0.0.1', localPort: 0, remotePort: 80, protocol: 'tcp' });
    expect(parsePortSpec(':80')).toEqual({ localHost: '127.0.0.1', localPort: 0, remotePort: 80, protocol: 'tcp' });
  });

  it('reads a host: IPv4, localhost, bracketed IPv6', () => {
    expect(parsePortSpec('0.0.0.0:9000:80')).toEqual({ localHost: '0.0.0.0', localPort: 9000, remotePort: 80, protocol: 'tcp' });
    expect(parsePortSpec('localhost:9000:80')).toEqual({ localHost: '127.0.0.1', localPort: 9000, remotePort: 80, protocol: 'tcp' });
    expect(parsePortSpec('[::1]:0:80')).toEqual({ localHost: '::1', localPort: 0, remotePort: 80, protocol: 'tcp' });
  });

  it('reads a protocol suffix as docker -p writes it: /udp, and /tcp (the default)', () => {
    expect(parsePortSpec('53/udp')).toEqual({ localHost: '127.0.0.1', localPort: 53, remotePort: 53, protocol: 'udp' });
    expect(parsePortSpec('127.0.0.1:5353:53/UDP')).toEqual({ localHost: '127.0.0.1', localPort: 5353, remotePort: 53, protocol: 'udp' });
    expect(parsePortSpec('[::1]:0:53/udp')).toEqual({ localHost: '::1', localPort: 0, remotePort: 53, protocol: 'udp' });
    expect(parsePortSpec('8080:80/tcp')).toEqual({ localHost: '127.0.0.1', localPort: 8080, remotePort: 80, protocol: 'tcp' });
  });

  it.each([
    ['53/sctp', 'remote port "53/sctp" is not a number'],
    ['/udp', 'the remote port is missing'],
    ['', 'the remote port is missing'],
    ['abc', 'remote port "abc" is not a number'],
    ['0', 'remote port 0 is out of range'],
    ['70000', 'remote port 70000 is out of range'],
    ['8080:0', 'remote port 0 is out of range'],
    ['x:80', 'local port "x" is not a number'],
    ['-1:80', 'local port "-1" is not a number'],
    ['80:', 'the remote port is missing'],
    ['example.com:1:2', 'example.com is not an IP address'],
    ['::1:1:2', 'too many colons'],
    ['[::1]:80', 'both LOCAL_PORT and REMOTE_PORT are needed'],
    ['[1.2.3.4]:1:2', 'is not an IPv6 address'],
    ['[::1:1:2', 'an IPv6 host is written'],
    [':1:2', ' is not an IP address'],
    ['1.5', 'is not a number'],
  ])('refuses %j (%s)', (arg, why) => {
    let error: unknown;
    try {
      parsePortSpec(arg);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SidekickError);
    expect((error as SidekickError).code).toBe('BAD_USAGE');
    expect((error as SidekickError).message).toContain(why);
    expect((error as SidekickError).message).not.toContain('\n');
    expect((error as SidekickError).hint).toContain('REMOTE_PORT');
  });
});

describe('parsePortSpecs', () => {
  it('parses many ports at once', () => {
    expect(parsePortSpecs(['8080', '0:9090', '0:9090']).map((s) => [s.localPort, s.remotePort])).toEqual([
      [8080, 8080],
      [0, 9090],
      [0, 9090],
    ]);
  });

  it('refuses no ports and a local port given twice', () => {
    expect(() => parsePortSpecs([])).toThrow(/no port to forward/);
    expect(() => parsePortSpecs(['9000:80', '9000:81'])).toThrow(/local port 127.0.0.1:9000 is given twice/);
  });

  it('allows one local port on two different hosts', () => {
    expect(parsePortSpecs(['127.0.0.1:9000:80', '[::1]:9000:80'])).toHaveLength(2);
  });

  it('takes a local port once for TCP and once for UDP, which are different ports', () => {
    expect(parsePortSpecs(['5353:53', '5353:53/udp']).map((spec) => spec.protocol)).toEqual(['tcp', 'udp']);
    expect(() => parsePortSpecs(['5353:53/udp', '5353:54/udp'])).toThrow(/local port 127.0.0.1:5353\/udp is given twice/);
  });
});

describe('formatHostPort', () => {
  it('brackets IPv6 only', () => {
    expect(formatHostPort('127.0.0.1', 80)).toBe('127.0.0.1:80');
    expect(formatHostPort('::1', 80)).toBe('[::1]:80');
  });
});
