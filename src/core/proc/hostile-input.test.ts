import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCgroup } from './cgroup.js';
import { parseCmdline } from './cmdline.js';
import { parseEnviron } from './environ.js';
import { readFixture } from './fixtures/read-fixture.js';
import { parseMountinfo } from './mountinfo.js';
import { parseNetTcp, parseNetUdp } from './net-sockets.js';
import { type ParseResult, type ProcInput } from './parse-result.js';
import { parseNetUnix } from './net-unix.js';
import { parseStat } from './stat.js';
import { parseStatus } from './status.js';

// Every parser against every sample, mangled: the contract is a result, never an exception.
const PARSERS: Record<string, (input: ProcInput) => ParseResult<unknown>> = {
  parseStatus,
  parseStat,
  parseEnviron,
  parseCmdline,
  parseMountinfo,
  parseNetTcp,
  parseNetUdp,
  parseNetUnix,
  parseCgroup,
};

const SAMPLES = readdirSync(new URL('./fixtures/', import.meta.url))
  .filter((name) => !/\.(c|sh|mjs|ts)$/.test(name))
  .map((name) => readFixture(name));

// A small seeded generator (mulberry32), so that a failure reproduces.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NASTY_BYTES = [0x00, 0x0a, 0x0d, 0x09, 0x20, 0x3a, 0x28, 0x29, 0x5c, 0x2d, 0x40, 0x3d, 0xff, 0xc3, 0x1b];

function mangle(sample: Buffer, next: () => number): Buffer {
  const bytes = Buffer.from(sample.subarray(0, Math.floor(next() * (sample.length + 1))));
  const edits = Math.floor(next() * 8);
  for (let edit = 0; edit < edits && bytes.length > 0; edit += 1) {
    const at = Math.floor(next() * bytes.length);
    bytes[at] = NASTY_BYTES[Math.floor(next() * NASTY_BYTES.length)] ?? 0;
  }
  return bytes;
}

function expectResultShape(result: ParseResult<unknown>): void {
  expect(result.value).toBeDefined();
  expect(Array.isArray(result.problems)).toBe(true);
  expect(result.problems.length).toBeLessThanOrEqual(21);
  for (const problem of result.problems) expect(typeof problem).toBe('string');
  // The backstop in parseSafely must never be what saved the day.
  expect(result.problems.join('\n')).not.toContain('parser failed');
}

describe.each(Object.entries(PARSERS))('%s on hostile input', (_name, parse) => {
  it('returns a result for every sample cut short and mangled', () => {
    const next = random(0x5eed);
    for (const sample of SAMPLES) {
      for (let round = 0; round < 40; round += 1) expectResultShape(parse(mangle(sample, next)));
    }
  });

  it('returns a result for random bytes', () => {
    const next = random(42);
    for (let round = 0; round < 200; round += 1) {
      const bytes = Buffer.from(Array.from({ length: Math.floor(next() * 300) }, () => Math.floor(next() * 256)));
      expectResultShape(parse(bytes));
    }
  });

  it('returns a result for pathological shapes', () => {
    const shapes = [
      '',
      '\0',
      '\n'.repeat(100_000),
      '\r\n'.repeat(1000),
      '\\'.repeat(100_000),
      '('.repeat(100_000) + ')'.repeat(100_000),
      ' '.repeat(100_000),
      ':'.repeat(100_000),
      '9'.repeat(100_000),
      `0: ${'0'.repeat(100_000)}:${'0'.repeat(100_000)}`,
      'x\n'.repeat(200_000),
    ];
    for (const shape of shapes) expectResultShape(parse(shape));
  });

  it('returns a result when called with something that is not text', () => {
    for (const input of [undefined, null, 42, {}, []]) expectResultShape(parse(input as unknown as ProcInput));
  });
});
