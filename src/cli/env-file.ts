/**
 * `--env-file`: docker's format, read the way the docker CLI reads it. One variable a line;
 * leading blanks are dropped, empty lines and lines starting with `#` are skipped; `KEY=VALUE`
 * is taken as written (quotes and trailing blanks included); a bare `KEY` takes the value of
 * KEY in this shell's environment and is left out when it has none.
 */
import { readFileSync } from 'node:fs';
import { SidekickError } from '../core/errors.js';

export function parseEnvFile(text: string, path: string, env: NodeJS.ProcessEnv): string[] {
  const variables: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#')) return;
    const equals = line.indexOf('=');
    const name = equals < 0 ? line : line.slice(0, equals);
    const where = `--env-file ${path}, line ${index + 1}`;
    if (name === '') {
      throw new SidekickError('BAD_USAGE', `${where}: no variable name before "=".`, { hint: 'Write one KEY=VALUE a line.' });
    }
    if (/\s/.test(name)) {
      throw new SidekickError('BAD_USAGE', `${where}: variable name ${JSON.stringify(name)} contains blanks.`, { hint: 'Write one KEY=VALUE a line.' });
    }
    if (equals >= 0) variables.push(line);
    else if (env[name] !== undefined) variables.push(`${name}=${env[name]}`);
  });
  return variables;
}

/** Every --env-file in order, then -e: later ones win, as in docker. */
export function readEnvFiles(paths: string[], env: NodeJS.ProcessEnv, read: (path: string) => string = readText): string[] {
  return paths.flatMap((path) => parseEnvFile(read(path), path, env));
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : error instanceof Error ? error.message : String(error);
    throw new SidekickError('BAD_USAGE', `--env-file ${path}: ${reason}.`, { hint: 'Give the path of a file of KEY=VALUE lines.' });
  }
}
