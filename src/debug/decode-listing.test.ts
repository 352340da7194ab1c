import { describe, expect, it } from 'vitest';
import { parseFramedDump } from '../core/framed-dump.js';
import { decodeListing, parseStatRecords } from './decode-listing.js';

describe('parseStatRecords', () => {
  it('matches records to the names listed, skipping entries that went away', () => {
    const text = [
      '@41ed 0 0 4096 0 3 0 0 .',
      '@81a4 1000 1000 12 1700000000 1 0 0 a\nb',
      "@a1ff 0 0 4 0 1 0 0 'l' -> '/x'\ny'",
      '@21b6 0 0 0 0 1 1 3 null',
      '',
    ].join('\n');
    const entries = parseStatRecords(text, ['.', 'a\nb', 'gone', 'l', 'null']);
    expect(entries.map((entry) => [entry.name, entry.type, entry.size, entry.linkTarget, entry.uid])).toEqual([
      ['.', 'directory', 4096, null, 0],
      ['a\nb', 'file', 12, null, 1000],
      ['l', 'symlink', 4, "/x'\ny", 0],
      ['null', 'char-device', 0, null, 0],
    ]);
    expect(entries[1]!.mtime).toBe('2023-11-14T22:13:20.000Z');
    expect(entries[3]!.device).toEqual({ major: 1, minor: 3 });
  });

  it('reads names as bytes: UTF-8 names come back whole', () => {
    const name = Buffer.from('café', 'utf8').toString('latin1');
    expect(parseStatRecords(`@81a4 0 0 1 0 1 0 0 ${name}\n`, [name]).map((entry) => entry.name)).toEqual(['café']);
  });
});

describe('decodeListing', () => {
  const section = (key: string, data: string): string => `@@@ ${key}\n${Buffer.from(data, 'latin1').toString('base64')}\n@@@.\n`;

  it("drops the sidekick's own processes from /proc and sorts as ls does", () => {
    const dump = parseFramedDump(
      '@@@= target 1\n@@@= ours 40\n@@@= ours 39\n' +
        section('n1', '/proc\0.\x001\x0039\x0040\0b\0') +
        section('s1', '@416d 0 0 0 0 9 0 0 .\n@416d 0 0 0 0 9 0 0 1\n@416d 0 0 0 0 9 0 0 39\n@416d 0 0 0 0 9 0 0 40\n@81a4 0 0 0 0 1 0 0 b\n'),
    );
    const listing = decodeListing(dump);
    expect(listing.directories.map((directory) => [directory.path, directory.entries.map((entry) => entry.name)])).toEqual([['/proc', ['.', '1', 'b']]]);
    expect(listing.missing).toBe(false);
  });

  it('names the directories a recursive listing could not enter, whatever their names hold', () => {
    const dump = parseFramedDump(
      '@@@= target 1\n' +
        section('n1', '/d\0.\0a\nb\0') +
        section('s1', '@41ed 0 0 0 0 3 0 0 .\n@41ed 0 0 0 0 2 0 0 a\nb\n') +
        section('u2', '/d/a\n@@@ n9'),
    );
    const listing = decodeListing(dump);
    expect(listing.unreadable).toEqual(['/d/a\n@@@ n9']);
    expect(listing.directories.map((directory) => directory.path)).toEqual(['/d']);
  });
});

