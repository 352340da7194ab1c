import { describe, expect, it } from 'vitest';
import { compileTemplate, parseFormat, renderRows, renderTemplate } from './output-format.js';

const row = { id: 'abc123', name: 'web', kind: 'sidekick', labels: { team: 'a', 'x.y': 'z' }, ports: ['80/tcp', '443/tcp'], owner: { kind: 'container', name: 'db' }, gone: null };

describe('--format', () => {
  it('reads table, json and templates', () => {
    expect(parseFormat(undefined)).toEqual({ kind: 'table' });
    expect(parseFormat('table')).toEqual({ kind: 'table' });
    expect(parseFormat('json')).toEqual({ kind: 'json' });
    expect(parseFormat('{{.ID}}')).toMatchObject({ kind: 'template', table: false });
    expect(parseFormat('table {{.ID}}')).toMatchObject({ kind: 'template', table: true });
  });

  it('prints fields, nested fields, literal text and the \\t and \\n escapes', () => {
    const render = (text: string): string => renderTemplate(compileTemplate(text), row);
    expect(render('{{.name}}')).toBe('web');
    expect(render('{{.Name}} is {{ .Kind }}')).toBe('web is sidekick');
    expect(render('{{.ID}}\\t{{.Owner.Name}}\\n')).toBe('abc123\tdb\n');
    expect(render('no fields')).toBe('no fields');
    expect(render('{{.Missing}}|{{.Gone}}|{{.Name.Deeper}}')).toBe('||');
  });

  it('prints lists and maps as Go does, and JSON on request', () => {
    const render = (text: string): string => renderTemplate(compileTemplate(text), row);
    expect(render('{{.Ports}}')).toBe('[80/tcp 443/tcp]');
    expect(render('{{.Labels}}')).toBe('map[team:a x.y:z]');
    expect(render('{{json .Ports}}')).toBe('["80/tcp","443/tcp"]');
    expect(render('{{json .Missing}}')).toBe('null');
    expect(JSON.parse(render('{{json .}}'))).toEqual(row);
  });

  it("escapes control characters in values, never in the template's own text", () => {
    const hostile = { name: 'evil\x1b]0;pwned\x07\tname' };
    expect(renderTemplate(compileTemplate('{{.Name}}\\t!'), hostile)).toBe('evil\\x1b]0;pwned\\x07\\tname\t!');
  });

  it('refuses what it does not understand, naming it', () => {
    expect(() => parseFormat('{{.ID')).toThrow('--format: "{{.ID" has no closing }}.');
    expect(() => parseFormat('{{range .Ports}}{{.}}{{end}}')).toThrow('--format: {{range .Ports}} is not supported.');
    expect(() => parseFormat('{{upper .Name}}')).toThrow(/is not supported/);
    expect(() => parseFormat('{{.Bad-Name}}')).toThrow(/is not supported/);
    expect(() => parseFormat('a }} b')).toThrow(/without an opening/);
  });

  it('renders one line per row, JSON lines, and an aligned table with a header', () => {
    const rows = [row, { ...row, id: 'd', name: 'a-much-longer-name' }];
    expect(renderRows({ kind: 'json' }, rows).split('\n').filter(Boolean).map((line) => JSON.parse(line).id)).toEqual(['abc123', 'd']);
    const template = parseFormat('{{.ID}} {{.Name}}');
    if (template.kind !== 'template') throw new Error('not a template');
    expect(renderRows(template, rows)).toBe('abc123 web\nd a-much-longer-name\n');
    expect(renderRows(template, [])).toBe('');
    const tabled = parseFormat('table {{.Name}}\\t{{.ID}}');
    if (tabled.kind !== 'template') throw new Error('not a template');
    expect(renderRows(tabled, rows)).toBe('NAME                ID\nweb                 abc123\na-much-longer-name  d\n');
  });
});
