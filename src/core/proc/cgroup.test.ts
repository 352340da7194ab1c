import { describe, expect, it } from 'vitest';
import { parseCgroup } from './cgroup.js';
import { readFixture } from './fixtures/read-fixture.js';

describe('parseCgroup on a captured sample', () => {
  it('reads the v1 hierarchies and the unified one of a Docker container on a hybrid host', () => {
    const { value, problems } = parseCgroup(readFixture('root-httpd.cgroup'));
    expect(problems).toEqual([]);
    expect(value).toHaveLength(10);
    expect(value[0]).toEqual({
      hierarchyId: 9,
      controllers: ['name=systemd'],
      path: expect.stringMatching(/^\/docker\/[0-9a-f]{64}$/),
      version: 1,
    });
    expect(value[5]).toMatchObject({ hierarchyId: 4, controllers: ['memory'], version: 1 });
    expect(value[9]).toEqual({ hierarchyId: 0, controllers: [], path: value[0]?.path, version: 2 });
  });
});

describe('parseCgroup on hostile input', () => {
  it('reads a v2-only file, joined controllers and CRLF', () => {
    expect(parseCgroup('0::/\r\n').value).toEqual([{ hierarchyId: 0, controllers: [], path: '/', version: 2 }]);
    expect(parseCgroup('4:cpu,cpuacct:/a\n').value[0]?.controllers).toEqual(['cpu', 'cpuacct']);
  });

  it('keeps a ":" inside the path', () => {
    expect(parseCgroup('0::/kubepods/pod:1:2\n').value[0]?.path).toBe('/kubepods/pod:1:2');
  });

  it('reports lines it cannot read and keeps the rest', () => {
    const { value, problems } = parseCgroup('0::/ok\nx::/bad\n1:cpu\n2:cpu:relative\n');
    expect(value).toHaveLength(1);
    expect(problems).toEqual([
      'line 2: not a cgroup line: "x::/bad"',
      'line 3: not a cgroup line: "1:cpu"',
      'line 4: not a cgroup line: "2:cpu:relative"',
    ]);
  });

  it('returns nothing for empty input', () => {
    expect(parseCgroup('')).toEqual({ value: [], problems: [] });
  });
});
