/**
 * `--format` of the listing commands (sessions, ps, inspect --all), as docker users write it:
 * `table` (the default), `json` (one JSON object a line), or a template in a small, documented
 * subset of Go's text/template:
 *
 *   {{.Field}}        a field of the row (names as in the JSON output; any letter case)
 *   {{.A.B}}          a field of a field
 *   {{json .}}        the whole row as JSON; {{json .Field}} one field as JSON
 *   literal text      printed as written; \t and \n stand for a tab and a line break
 *   table TEMPLATE    the template's cells (split at tabs) aligned under a header
 *
 * A value is printed as Go prints it: text as is, a list as [a b], nothing for a missing field.
 * Values come from targets and labels: control characters in them are escaped (terminal-safe).
 */
import { SidekickError } from '../core/errors.js';
import { table, terminalSafe } from './terminal-safe.js';

type Part = { kind: 'text'; text: string } | { kind: 'field'; path: string[]; json: boolean };

export interface Template {
  parts: Part[];
}

export type OutputFormat = { kind: 'table' } | { kind: 'json' } | { kind: 'template'; template: Template; table: boolean };

const SUPPORTED = 'supported: {{.Field}}, {{.A.B}}, {{json .}}, {{json .Field}}, literal text, \\t and \\n, and a "table " prefix';

export function parseFormat(spec: string | undefined): OutputFormat {
  if (spec === undefined || spec === '' || spec === 'table') return { kind: 'table' };
  if (spec === 'json') return { kind: 'json' };
  if (spec.startsWith('table ')) return { kind: 'template', template: compileTemplate(spec.slice('table '.length)), table: true };
  return { kind: 'template', template: compileTemplate(spec), table: false };
}

export function compileTemplate(text: string): Template {
  const parts: Part[] = [];
  let rest = text;
  while (rest !== '') {
    const open = rest.indexOf('{{');
    if (open < 0) {
      pushText(parts, rest);
      break;
    }
    if (open > 0) pushText(parts, rest.slice(0, open));
    const close = rest.indexOf('}}', open + 2);
    if (close < 0) throw formatError(`"${rest.slice(open)}" has no closing }}`);
    parts.push(action(rest.slice(open + 2, close).trim()));
    rest = rest.slice(close + 2);
  }
  return { parts };
}

function pushText(parts: Part[], raw: string): void {
  if (raw.includes('}}')) throw formatError(`"}}" without an opening {{ in "${raw}"`);
  parts.push({ kind: 'text', text: raw.replace(/\\t/g, '\t').replace(/\\n/g, '\n') });
}

function action(body: string): Part {
  const words = body.split(/\s+/);
  const [first, second] = words;
  if (words.length === 1 && first !== undefined && isPath(first)) return { kind: 'field', path: splitPath(first), json: false };
  if (words.length === 2 && first === 'json' && second !== undefined && isPath(second)) return { kind: 'field', path: splitPath(second), json: true };
  throw formatError(`{{${body}}} is not supported`);
}

function isPath(word: string): boolean {
  return word === '.' || /^(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(word);
}

function splitPath(word: string): string[] {
  return word === '.' ? [] : word.slice(1).split('.');
}

function formatError(what: string): SidekickError {
  return new SidekickError('BAD_USAGE', `--format: ${what}.`, { hint: `A small part of Go's templates is understood; ${SUPPORTED}.` });
}

/** Exact name first, then any letter case: `{{.ID}}` finds `id`, as `{{.Name}}` finds `name`. */
function lookup(value: unknown, path: string[]): unknown {
  let current = value;
  for (const name of path) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    const record = current as Record<string, unknown>;
    if (name in record) {
      current = record[name];
      continue;
    }
    const key = Object.keys(record).find((k) => k.toLowerCase() === name.toLowerCase());
    current = key === undefined ? undefined : record[key];
  }
  return current;
}

/** As Go prints a value with {{.}}: text as is, a list as [a b], a map as map[k:v]. */
function plain(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return `[${value.map(plain).join(' ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
    return `map[${entries.map(([k, v]) => `${k}:${plain(v)}`).join(' ')}]`;
  }
  return String(value);
}

export function renderTemplate(template: Template, row: unknown): string {
  return template.parts
    .map((part) => {
      if (part.kind === 'text') return part.text;
      const value = lookup(row, part.path);
      // JSON escapes control characters itself; plain text is made terminal-safe.
      return part.json ? (JSON.stringify(value) ?? 'null') : terminalSafe(plain(value));
    })
    .join('');
}

/** The header of a `table` template: each field's last name in capitals, literal text kept. */
function headerOf(template: Template): string {
  return template.parts
    .map((part) => (part.kind === 'text' ? part.text : (part.path.at(-1) ?? (part.json ? 'JSON' : '.')).toUpperCase()))
    .join('');
}

/**
 * Rows printed in a json or template format (the default table is each command's own). One
 * line per row; nothing at all for no rows, so that scripts read an empty answer.
 */
export function renderRows(format: Exclude<OutputFormat, { kind: 'table' }>, rows: readonly unknown[]): string {
  if (format.kind === 'json') return rows.map((row) => `${JSON.stringify(row)}\n`).join('');
  if (!format.table) return rows.map((row) => `${renderTemplate(format.template, row)}\n`).join('');
  const lines = [headerOf(format.template), ...rows.map((row) => renderTemplate(format.template, row))];
  return `${table(lines.map((line) => line.split('\t')))}\n`;
}
