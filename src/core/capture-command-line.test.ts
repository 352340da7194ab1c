import { describe, expect, it } from 'vitest';
import { parseInterfaceName, parsePacketCount, tcpdumpCommand } from './capture-command-line.js';

describe('tcpdumpCommand', () => {
  it('writes raw pcap to stdout, packet by packet, on every interface by default', () => {
    expect(tcpdumpCommand({ pcap: true, filter: [] })).toEqual(['tcpdump', '-i', 'any', '-Z', 'root', '--immediate-mode', '-U', '-w', '-']);
  });

  it('decodes to lines without name lookups when no file is asked for', () => {
    expect(tcpdumpCommand({ pcap: false, filter: [] })).toEqual(['tcpdump', '-i', 'any', '-Z', 'root', '--immediate-mode', '-n', '-l']);
  });

  it('keeps the filter after -- so that none of its words is an option', () => {
    expect(tcpdumpCommand({ pcap: true, interface: 'eth0', count: 3, filter: ['-w', '/etc/x', 'or', 'port', '80'] })).toEqual([
      'tcpdump', '-i', 'eth0', '-Z', 'root', '--immediate-mode', '-U', '-w', '-', '-c', '3', '--', '-w', '/etc/x', 'or', 'port', '80',
    ]);
  });
});

describe('capture arguments', () => {
  it.each(['eth0', 'lo', 'any', 'veth1a2b@if5', 'br-0123456789ab'])('accepts the interface %s', (name) => {
    expect(parseInterfaceName(name)).toBe(name);
  });

  it.each(['-w', '', 'eth0 lo', 'a/b', 'sixteen-chars-xx'])('refuses the interface %j', (name) => {
    expect(() => parseInterfaceName(name)).toThrow(/not an interface name/);
  });

  it.each(['0', '-1', '1.5', 'ten', '', '2147483648'])('refuses the count %j', (count) => {
    expect(() => parsePacketCount(count)).toThrow(/not a packet count/);
  });

  it('accepts a count', () => {
    expect(parsePacketCount('25')).toBe(25);
  });
});
