import { describe, expect, it } from 'vitest';
import { readFixture, readFixtureText } from './fixtures/read-fixture.js';
import { parseNetTcp } from './net-sockets.js';
import { parseNetUnix } from './net-unix.js';
import { type FdLink, mapSocketInodesToPids, socketInodeFromLink } from './socket-owners.js';

// The fixtures hold "pid fd target" lines, one per /proc/<pid>/fd/<fd> link.
function fdLinks(fixture: string): FdLink[] {
  return readFixtureText(fixture)
    .trimEnd()
    .split('\n')
    .map((line) => {
      const [pid = '', , ...target] = line.split(' ');
      return { pid: Number(pid), target: target.join(' ') };
    });
}

describe('socketInodeFromLink', () => {
  it('reads socket links and nothing else', () => {
    expect(socketInodeFromLink('socket:[12345]')).toBe(12345);
    expect(socketInodeFromLink('socket:[12345]\n')).toBe(12345);
    expect(socketInodeFromLink('pipe:[12345]')).toBeUndefined();
    expect(socketInodeFromLink('anon_inode:[eventpoll]')).toBeUndefined();
    expect(socketInodeFromLink('/tmp/socket:[1]')).toBeUndefined();
    expect(socketInodeFromLink('socket:[]')).toBeUndefined();
    expect(socketInodeFromLink('socket:[99999999999999999999]')).toBeUndefined();
  });
});

describe('mapSocketInodesToPids on captured samples', () => {
  it('finds the process behind each socket of a container', () => {
    const { value: owners, problems } = mapSocketInodesToPids(fdLinks('root-fd-links.txt'));
    expect(problems).toEqual([]);
    const [listener, accepted] = parseNetTcp(readFixture('root-net.tcp6')).value;
    expect(owners.get(listener?.inode ?? -1)).toEqual([1]);
    expect(owners.get(accepted?.inode ?? -1)).toHaveLength(1);
    const [client] = parseNetTcp(readFixture('root-net.tcp')).value;
    expect(owners.get(client?.inode ?? -1)).toHaveLength(1);
    const [syslog] = parseNetUnix(readFixture('root-net.unix')).value;
    expect(owners.get(syslog?.inode ?? -1)).toHaveLength(1);
    expect(owners.size).toBe(4);
  });

  it('finds every host socket the capturing process held', () => {
    const owners = mapSocketInodesToPids(fdLinks('host-fd-links.txt')).value;
    const inodes = [
      ...parseNetTcp(readFixture('host-net.tcp6')).value,
      ...parseNetUnix(readFixture('host-net.unix')).value,
    ].map((socket) => socket.inode);
    for (const inode of inodes) expect(owners.get(inode)).toHaveLength(1);
  });
});

describe('mapSocketInodesToPids on hostile input', () => {
  it('lists each pid once, sorted, for a socket shared across processes', () => {
    const { value } = mapSocketInodesToPids([
      { pid: 30, target: 'socket:[7]' },
      { pid: 4, target: 'socket:[7]' },
      { pid: 30, target: 'socket:[7]' },
    ]);
    expect(value).toEqual(new Map([[7, [4, 30]]]));
  });

  it('reports malformed socket links and pids, and ignores other links', () => {
    const { value, problems } = mapSocketInodesToPids([
      { pid: 1, target: 'socket:[abc]' },
      { pid: Number.NaN, target: 'socket:[8]' },
      { pid: 1, target: '/dev/null' },
    ]);
    expect(value.size).toBe(0);
    expect(problems).toEqual(['cannot read socket link "socket:[abc]"', 'not a pid: "NaN"']);
  });

  it('survives an iterable that fails half-way', () => {
    function* failing(): Generator<FdLink> {
      yield { pid: 1, target: 'socket:[1]' };
      throw new Error('readdir failed');
    }
    expect(mapSocketInodesToPids(failing())).toEqual({
      value: new Map(),
      problems: ['fd links: parser failed (readdir failed)'],
    });
  });
});
