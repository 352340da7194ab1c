import { describe, expect, it } from 'vitest';
import { readFixture, readFixtureText } from './fixtures/read-fixture.js';
import { isListeningSocket, parseInetTables, parseNetTcp, parseNetUdp } from './net-sockets.js';

describe('parseNetTcp on captured samples', () => {
  it('reads a container listening on [::]:8080 with a connection over IPv4-mapped loopback', () => {
    const { value, problems } = parseNetTcp(readFixture('root-net.tcp6'));
    expect(problems).toEqual([]);
    expect(value).toEqual([
      {
        protocol: 'tcp',
        family: 'ipv6',
        localAddress: '::',
        localPort: 8080,
        remoteAddress: '::',
        remotePort: 0,
        state: 'LISTEN',
        uid: 0,
        inode: expect.any(Number),
      },
      expect.objectContaining({ localAddress: '::ffff:127.0.0.1', localPort: 9000, state: 'ESTABLISHED' }),
    ]);
    expect(value.filter(isListeningSocket).map((socket) => socket.localPort)).toEqual([8080]);
  });

  it('reads the IPv4 side of the connection', () => {
    const [client] = parseNetTcp(readFixture('root-net.tcp')).value;
    expect(client).toMatchObject({ family: 'ipv4', localAddress: '127.0.0.1', remoteAddress: '127.0.0.1', remotePort: 9000 });
    expect(client?.state).toBe('ESTABLISHED');
  });

  it('reads the uid of a non-root listener', () => {
    const { value } = parseNetTcp(readFixture('nonroot-net.tcp6'));
    expect(value).toEqual([expect.objectContaining({ localPort: 8081, state: 'LISTEN', uid: 65532, inode: 42710 })]);
    expect(parseNetTcp(readFixture('nonroot-net.tcp'))).toEqual({ value: [], problems: [] });
  });

  it('reads host sockets on ::1, a global address and IPv4', () => {
    const { value, problems } = parseNetTcp(readFixture('host-net.tcp6'));
    expect(problems).toEqual([]);
    expect(value.map((socket) => `${socket.localAddress} ${socket.state}`)).toEqual([
      ':: LISTEN',
      '::1 ESTABLISHED',
      '::1 ESTABLISHED',
      '::ffff:127.0.0.1 ESTABLISHED',
      '2001:db8:0:1::1 ESTABLISHED',
      '2001:db8:0:1::1 ESTABLISHED',
    ]);
    expect(value[0]).toMatchObject({ localPort: 35229, inode: 46939 });
    expect(parseNetTcp(readFixture('host-net.tcp')).value[0]).toMatchObject({ localAddress: '127.0.0.1', remotePort: 35229 });
  });
});

describe('parseNetUdp on captured samples', () => {
  it('reads bound and connected UDP sockets', () => {
    const { value, problems } = parseNetUdp(readFixture('helper-net.udp'));
    expect(problems).toEqual([]);
    expect(value.map((socket) => [socket.localAddress, socket.localPort, socket.remoteAddress, socket.remotePort, socket.state])).toEqual([
      ['0.0.0.0', 5353, '0.0.0.0', 0, 'UNCONN'],
      ['127.0.0.1', 5354, '127.0.0.1', 5353, 'ESTABLISHED'],
    ]);
    expect(value.filter(isListeningSocket).map((socket) => socket.localPort)).toEqual([5353]);
  });

  it('reads UDP over IPv6', () => {
    const { value } = parseNetUdp(readFixture('helper-net.udp6'));
    expect(value.map((socket) => `${socket.localAddress}:${socket.localPort} ${socket.state}`)).toEqual([
      ':::5355 UNCONN',
      '::ffff:127.0.0.1:5356 ESTABLISHED',
    ]);
    expect(parseNetUdp(readFixture('host-net.udp6')).value[0]?.localAddress).toBe('::1');
  });
});

describe('parseNetTcp on hostile input', () => {
  const sample = readFixtureText('root-net.tcp6');

  it('reads CRLF line endings', () => {
    expect(parseNetTcp(sample.replaceAll('\n', '\r\n')).value).toHaveLength(2);
  });

  it('reports lines cut short or garbled and keeps the rest', () => {
    const { value, problems } = parseNetTcp(`${sample}   2: 0100007F:1F90 0100007F:00\n   3: zz\n\0\n`);
    expect(value).toHaveLength(2);
    expect(problems).toEqual([
      'line 4: cannot read socket line: "2: 0100007F:1F90 0100007F:00"',
      'line 5: cannot read socket line: "3: zz"',
      'line 6: cannot read socket line: "\\u0000"',
    ]);
  });

  it('rejects mixed address families, bad ports and oversized numbers', () => {
    const line = (local: string, remote: string, uid = '0', inode = '1') =>
      `   0: ${local} ${remote} 0A 00000000:00000000 00:00000000 00000000 ${uid} 0 ${inode}\n`;
    const { value, problems } = parseNetTcp(
      line('0100007F:1F90', '00000000000000000000000000000000:0000') +
        line('0100007F:1F9', '00000000:0000') +
        line('0100007F:1F90', '00000000:0000', '4294967296') +
        line('0100007F:1F90', '00000000:0000', '0', '99999999999999999999'),
    );
    expect(value).toEqual([]);
    expect(problems).toHaveLength(4);
  });

  it('names states it does not know by number', () => {
    const [socket] = parseNetTcp('   0: 0100007F:1F90 00000000:0000 0D 00000000:00000000 00:00000000 00000000 0 0 7\n').value;
    expect(socket?.state).toBe('UNKNOWN_0D');
  });

  it('returns nothing for empty input and a header alone', () => {
    expect(parseNetTcp('')).toEqual({ value: [], problems: [] });
    expect(parseNetUdp(readFixture('host-net.udp').subarray(0, 120))).toEqual({ value: [], problems: [] });
  });
});

describe('parseInetTables', () => {
  it('parses the tables that were read, each with its own problems', () => {
    const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
    const tcp = `${header}   0: 0100007F:2382 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0\n`;
    const parsed = parseInetTables((table) => (table === 'tcp' ? tcp : table === 'udp' ? `${header}garbage\n` : undefined));
    expect(parsed.map((p) => p.table)).toEqual(['tcp', 'udp']);
    expect(parsed[0]!.result.value[0]).toMatchObject({ localAddress: '127.0.0.1', localPort: 9090, state: 'LISTEN', inode: 4242 });
    expect(parsed[1]!.result.value).toEqual([]);
    expect(parsed[1]!.result.problems.length).toBeGreaterThan(0);
  });
});
