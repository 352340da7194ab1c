import { describe, expect, it } from 'vitest';
import { firstValue, parseFramedDump, sectionBytes, sectionText, splitGrepOutput } from './framed-dump.js';

const b64 = (text: string | Buffer): string => Buffer.from(text).toString('base64');

describe('parseFramedDump', () => {
  it('decodes sections, scalars and failures', () => {
    const payload = Buffer.from('a\0b\n@@@. not an end\n');
    const output = [
      '@@@= self 42',
      '@@@= shell /bin/sh',
      '@@@= shell /bin/bash',
      '@@@ 1/environ',
      b64(payload).slice(0, 8),
      b64(payload).slice(8),
      '@@@.',
      '@@@ 1/attr',
      '@@@!',
      '@@@.',
      '',
    ].join('\n');
    const dump = parseFramedDump(output);
    expect(dump.problems).toEqual([]);
    expect(firstValue(dump, 'self')).toBe('42');
    expect(dump.values.get('shell')).toEqual(['/bin/sh', '/bin/bash']);
    expect(sectionBytes(dump, '1/environ')).toEqual(payload);
    expect(dump.sections.get('1/attr')).toEqual({ data: Buffer.alloc(0), failed: true });
    expect(sectionText(dump, '1/attr')).toBeUndefined();
    expect(sectionText(dump, 'missing')).toBeUndefined();
  });

  it('keeps a section cut short and says so', () => {
    const dump = parseFramedDump(`@@@ a\n${b64('hello')}\n@@@ b\n${b64('x')}\n@@@.\n@@@ c\n${b64('tail')}`);
    expect(sectionText(dump, 'a')).toBe('hello');
    expect(dump.sections.get('a')?.failed).toBe(true);
    expect(sectionText(dump, 'b')).toBe('x');
    expect(sectionText(dump, 'c')).toBe('tail');
    expect(dump.problems).toEqual(['section "a" was cut short', 'section "c" was cut short']);
  });

  it('reports stray lines without failing', () => {
    const dump = parseFramedDump('ls: /proc/9/fd: Permission denied\n@@@= x 1\n');
    expect(firstValue(dump, 'x')).toBe('1');
    expect(dump.problems).toHaveLength(1);
  });
});

describe('splitGrepOutput', () => {
  it('gives each file its lines back, colons in the content kept', () => {
    const files = splitGrepOutput('/proc/1/status:Name:\tserver\n/proc/1/status:Uid:\t0\n/proc/2/net/tcp:  sl  local\n/proc/1/status:\n');
    expect([...files]).toEqual([
      ['/proc/1/status', 'Name:\tserver\nUid:\t0\n\n'],
      ['/proc/2/net/tcp', '  sl  local\n'],
    ]);
  });
});
