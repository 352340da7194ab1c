import { SidekickError } from '../core/errors.js';
import { jsonReplacer } from '../debug/inspect-report.js';
import { connectEngineFor, contextsOf, type GlobalFlags } from './engine-from-flags.js';
import { parseFormat, renderRows } from './output-format.js';
import { shortId } from '../core/short-id.js';

export interface InspectFlags {
  json?: boolean;
  all?: boolean;
  /** --all over every docker context. */
  allContexts?: boolean;
  showSecrets?: boolean;
  allMounts?: boolean;
  /** With --all: table (default), json (a line per container) or a template (output-format.ts). */
  format?: string;
  /** With --all: the container IDs only. */
  quiet?: boolean;
  /** With --all: whole IDs for -q. */
  trunc?: boolean;
}

export async function runInspect(target: string | undefined, flags: InspectFlags, global: GlobalFlags): Promise<number> {
  if (flags.all && target !== undefined) {
    throw new SidekickError('BAD_USAGE', '--all inspects every running container; it takes no TARGET.', { hint: 'Use `sidekick inspect --all` or `sidekick inspect TARGET`.' });
  }
  if (!flags.all && target === undefined) {
    throw new SidekickError('BAD_USAGE', 'inspect needs a TARGET (or --all).', { hint: 'Usage: sidekick inspect [--json] [--show-secrets] TARGET | --all' });
  }
  if (!flags.all && (flags.format !== undefined || flags.quiet)) {
    throw new SidekickError('BAD_USAGE', `${flags.quiet ? '-q' : '--format'} applies to inspect --all, whose rows it formats.`, { hint: 'Use --json for the report of one target.' });
  }
  const format = parseFormat(flags.format);
  const contexts = contextsOf(global);
  if (flags.allContexts || contexts.length > 1) {
    if (flags.format !== undefined || flags.quiet) {
      throw new SidekickError('BAD_USAGE', `${flags.quiet ? '-q' : '--format'} is not yet supported over several engines.`, { hint: 'Use --json (each row carries its engine), or one --context.' });
    }
    return inspectSeveralEngines(contexts, flags, global);
  }
  const engine = await connectEngineFor(target, global);
  try {
    if (flags.all) {
      if (flags.showSecrets) throw new SidekickError('BAD_USAGE', '--show-secrets has no effect with --all (no environment is shown).', { hint: 'Drop it.' });
      const [{ inspectAll }, { formatInspectAll }] = await Promise.all([import('../debug/inspect-all.js'), import('./format-inspect-all.js')]);
      const rows = await inspectAll(engine, process.env);
      if (flags.json) process.stdout.write(`${JSON.stringify(rows, jsonReplacer, 2)}\n`);
      else if (flags.quiet) process.stdout.write(rows.map((row) => `${flags.trunc === false ? row.id : shortId(row.id)}\n`).join(''));
      else if (format.kind !== 'table') process.stdout.write(renderRows(format, rows));
      else process.stdout.write(formatInspectAll(rows));
      return 0;
    }
    const [{ inspectTarget }, { formatInspect }] = await Promise.all([import('../debug/inspect-target.js'), import('./format-inspect.js')]);
    const report = await inspectTarget(engine, target!, { showSecrets: flags.showSecrets ?? false }, process.env);
    process.stdout.write(flags.json ? `${JSON.stringify(report, jsonReplacer, 2)}\n` : formatInspect(report, { allMounts: flags.allMounts ?? false }));
    return 0;
  } finally {
    engine.close();
  }
}

/** `inspect --all` over several engines: exit 0 when at least one answered (the others are rows of error). */
async function inspectSeveralEngines(contexts: string[], flags: InspectFlags, global: GlobalFlags): Promise<number> {
  if (!flags.all) {
    throw new SidekickError('BAD_USAGE', 'only `inspect --all` reads several engines; one TARGET is on one engine.', {
      hint: 'Add --all, or give one --context.',
    });
  }
  if (global.host !== undefined) {
    throw new SidekickError('BAD_USAGE', 'conflicting options: cannot specify both --host and --context.', { hint: 'Name the engines as docker contexts (docker context create).' });
  }
  const [{ contextNames }, { inspectEngines }, { formatInspectEngines }] = await Promise.all([
    import('../engines/docker/endpoint.js'),
    import('./inspect-engines.js'),
    import('./format-inspect-all.js'),
  ]);
  const names = flags.allContexts ? [...new Set([...contextNames(process.env), ...contexts])] : contexts;
  const rows = await inspectEngines(names, global, process.env);
  process.stdout.write(flags.json ? `${JSON.stringify(rows, jsonReplacer, 2)}\n` : formatInspectEngines(rows, names));
  const failed = new Set(rows.filter((row) => 'error' in row).map((row) => row.engine));
  return failed.size === names.length ? 125 : 0;
}
