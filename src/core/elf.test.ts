import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { elfLinkage } from './elf.js';

const head = (path: string): Buffer => readFileSync(path).subarray(0, 4096);

describe('elfLinkage', () => {
  it("tells the host's static busybox from its dynamic node", () => {
    expect(elfLinkage(head('/bin/busybox'))).toBe('static');
    expect(elfLinkage(head(process.execPath))).toBe('dynamic');
  });

  it('says not-elf for scripts, short and truncated headers', () => {
    expect(elfLinkage(Buffer.from('#!/bin/sh\necho hi\n'))).toBe('not-elf');
    expect(elfLinkage(Buffer.alloc(0))).toBe('not-elf');
    const truncated = head(process.execPath).subarray(0, 80);
    expect(elfLinkage(truncated)).toBe('not-elf');
  });
});
