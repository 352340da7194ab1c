import { describe, expect, it } from 'vitest';
import * as proc from './index.js';

describe('the proc module', () => {
  it('offers the parsers and helpers, and none of its internals', () => {
    expect(Object.keys(proc).sort()).toEqual([
      'CAPABILITY_NAMES',
      'DOCKER_DEFAULT_CAPABILITIES',
      'DOCKER_DEFAULT_CAPABILITY_MASK',
      'INET_TABLES',
      'capabilityBit',
      'capabilityMask',
      'decodeCapabilities',
      'decodeKernelAddress',
      'decodeOctalEscapes',
      'diffFromDockerDefault',
      'environToMap',
      'formatIpv4',
      'formatIpv6',
      'isListeningSocket',
      'mapSocketInodesToPids',
      'parseCapabilityName',
      'parseCgroup',
      'parseCmdline',
      'parseEnviron',
      'parseInetTables',
      'parseMountinfo',
      'parseNetTcp',
      'parseNetUdp',
      'parseNetUnix',
      'parseStat',
      'parseStatus',
      'processState',
      'socketInodeFromLink',
    ]);
  });
});
