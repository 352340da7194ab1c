/**
 * The framing a sidekick's dump script writes on stdout, and its decoder. Files from the
 * target can hold any bytes (NULs, newlines, text that looks like our markers), so each
 * travels base64-encoded between marker lines; base64 never contains '@', so no content can
 * end or forge a section. Small scalars (numbers, fixed words) travel as `@@@= key value`.
 *
 *   @@@ <key>          a section starts
 *   <base64 lines>
 *   @@@!               reading the file failed (what came before it is kept)
 *   @@@.               the section ends
 *   @@@= <key> <value> a scalar; a key may repeat
 */
export interface DumpSection {
  data: Buffer;
  /** The script could not read (all of) the file: missing, permission, or a read error. */
  failed: boolean;
}

export interface FramedDump {
  sections: Map<string, DumpSection>;
  values: Map<string, string[]>;
  problems: string[];
}

export const SECTION_START = '@@@ ';
export const SECTION_FAILED = '@@@!';
export const SECTION_END = '@@@.';
export const SCALAR = '@@@= ';

export function parseFramedDump(output: string | Buffer): FramedDump {
  const text = typeof output === 'string' ? output : output.toString('latin1');
  const dump: FramedDump = { sections: new Map(), values: new Map(), problems: [] };
  let key: string | undefined;
  let chunks: string[] = [];
  let failed = false;
  const close = (complete: boolean): void => {
    if (key === undefined) return;
    if (!complete) dump.problems.push(`section ${JSON.stringify(key)} was cut short`);
    dump.sections.set(key, { data: Buffer.from(chunks.join(''), 'base64'), failed: failed || !complete });
    key = undefined;
    chunks = [];
    failed = false;
  };
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/\r$/, '');
    if (line.startsWith(SCALAR)) {
      const rest = line.slice(SCALAR.length);
      const space = rest.indexOf(' ');
      const name = space < 0 ? rest : rest.slice(0, space);
      const value = space < 0 ? '' : rest.slice(space + 1);
      dump.values.set(name, [...(dump.values.get(name) ?? []), value]);
    } else if (line.startsWith(SECTION_START)) {
      close(false);
      key = line.slice(SECTION_START.length);
    } else if (line === SECTION_FAILED) {
      failed = true;
    } else if (line === SECTION_END) {
      close(true);
    } else if (key !== undefined && /^[A-Za-z0-9+/=]*$/.test(line)) {
      chunks.push(line);
    } else if (line !== '') {
      // Not ours (a stray message of a tool): ignored, but said, since it may explain a gap.
      if (dump.problems.length < 20) dump.problems.push(`unexpected output line ${JSON.stringify(line.slice(0, 60))}`);
    }
  }
  close(false);
  return dump;
}

/** The text of a section, or undefined when it is absent or empty because it failed. */
export function sectionText(dump: FramedDump, key: string): string | undefined {
  const section = dump.sections.get(key);
  if (section === undefined || (section.failed && section.data.length === 0)) return undefined;
  return section.data.toString('utf8');
}

export function sectionBytes(dump: FramedDump, key: string): Buffer | undefined {
  const section = dump.sections.get(key);
  if (section === undefined || (section.failed && section.data.length === 0)) return undefined;
  return section.data;
}

export function firstValue(dump: FramedDump, key: string): string | undefined {
  return dump.values.get(key)?.[0];
}

/**
 * The output of `grep -H '' FILE...` (every line of many text files, each prefixed with its
 * file's name and ':'), split back into the files' texts: one process reads them all, which
 * is far cheaper than one per file. The names must hold no ':' (the script only passes such).
 */
export function splitGrepOutput(text: string): Map<string, string> {
  const files = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon);
    const lines = files.get(name) ?? [];
    lines.push(line.slice(colon + 1));
    files.set(name, lines);
  }
  return new Map([...files].map(([name, lines]) => [name, `${lines.join('\n')}\n`]));
}
