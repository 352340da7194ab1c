import { describe, expect, it } from 'vitest';
import { openFilesOf, parseInet6, parseLimits, parseRoutes } from './process-facts.js';

describe('process facts', () => {
  it('reads /proc/PID/limits', () => {
    const text = [
      'Limit                     Soft Limit           Hard Limit           Units     ',
      'Max core file size        0                    unlimited            bytes     ',
      'Max processes             unlimited            unlimited            processes ',
      'Max open files            1024                 2048                 files     ',
      'Max realtime timeout      unlimited            unlimited            us        ',
    ].join('\n');
    expect(parseLimits(text)).toEqual({
      core: { soft: '0', hard: 'unlimited' },
      nproc: { soft: 'unlimited', hard: 'unlimited' },
      nofile: { soft: '1024', hard: '2048' },
      rttime: { soft: 'unlimited', hard: 'unlimited' },
    });
  });

  it('counts open files, sockets and deleted-but-open files', () => {
    const [files] = openFilesOf([
      {
        pid: 7,
        name: 'app',
        fdLinks: ['/dev/null', 'pipe:[1]', 'socket:[2]', 'socket:[3]', '/var/log/a.log (deleted)', '/etc/passwd', 'anon_inode:[eventpoll]'].map((target) => ({ pid: 7, target })),
      },
    ]);
    expect(files).toEqual({ pid: 7, name: 'app', count: 7, sockets: 2, pipes: 1, regularFiles: 2, deleted: ['/var/log/a.log'] });
  });

  it('reads IPv4 routes and global IPv6 addresses', () => {
    const routes = [
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT',
      'eth0\t00000000\t010011AC\t0003\t0\t0\t0\t00000000\t0\t0\t0',
      'eth0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0',
    ].join('\n');
    expect(parseRoutes(routes)).toEqual([
      { destination: 'default', gateway: '172.17.0.1', interface: 'eth0' },
      { destination: '172.17.0.0/16', gateway: null, interface: 'eth0' },
    ]);
    const inet6 = ['00000000000000000000000000000001 01 80 10 80       lo', '20010db8000000000000000000000002 02 40 00 80     eth0'].join('\n');
    expect(parseInet6(inet6)).toEqual([{ address: '2001:db8:0:0:0:0:0:2/64', interface: 'eth0' }]);
  });
});
