import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { LABEL_SESSION } from '../core/labels.js';
import { completeWords, describeForCompletion, matching, type Completion } from './completion.js';
import { connectEngine, type GlobalFlags } from './engine-from-flags.js';

/** What docker accepts as a container name; anything else is never handed to a shell. */
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * The hidden `sidekick __complete -- WORDS…` that the shell scripts call: prints the candidates
 * for the last word, one a line. At most one engine call; a failure prints nothing (a shell
 * completion must never print errors into the user's line).
 */
export async function runComplete(program: Command, words: string[], global: GlobalFlags, cobra = false): Promise<number> {
  const request = completeWords(describeForCompletion(program), words.length === 0 ? [''] : words);
  let candidates: string[] = [];
  try {
    candidates = await candidatesFor(request.completion, {
      ...global,
      ...(request.host !== undefined ? { host: request.host } : {}),
      ...(request.context !== undefined ? { context: request.context } : {}),
    });
  } catch {
    candidates = [];
  }
  const found = matching(candidates, request.current);
  if (found.length > 0) process.stdout.write(`${found.join('\n')}\n`);
  if (cobra) process.stdout.write(`:${cobraDirective(request.completion, found)}\n`);
  return 0;
}

/** cobra's ShellCompDirective: 0 lets the shell complete file names, 2 adds no space, 4 offers no files. */
function cobraDirective(completion: Completion, found: string[]): number {
  if (completion.kind === 'none') return 0;
  const continues = found.length === 1 && found[0]!.endsWith(':');
  return 4 | (continues ? 2 : 0);
}

async function candidatesFor(completion: Completion, flags: GlobalFlags): Promise<string[]> {
  switch (completion.kind) {
    case 'words':
      return completion.words;
    case 'contexts':
      return ['default', ...contextNames(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'))];
    case 'containers': {
      const { engine } = connectEngine({ ...flags, debug: false });
      try {
        const containers = await engine.listContainers({ all: completion.includeStopped });
        return containers
          .filter((container) => container.labels[LABEL_SESSION] === undefined)
          .flatMap((container) => container.names.map((name) => name.replace(/^\//, '')))
          .filter((name) => CONTAINER_NAME.test(name))
          .map((name) => `${name}${completion.suffix}`);
      } finally {
        engine.close();
      }
    }
    default:
      return [];
  }
}

/** The docker CLI's contexts: each has a meta.json with its Name under contexts/meta/. */
function contextNames(configDir: string): string[] {
  const metaDir = join(configDir, 'contexts', 'meta');
  let entries: string[];
  try {
    entries = readdirSync(metaDir);
  } catch {
    return [];
  }
  const names: string[] = [];
  for (const entry of entries) {
    try {
      const name = (JSON.parse(readFileSync(join(metaDir, entry, 'meta.json'), 'utf8')) as { Name?: unknown }).Name;
      if (typeof name === 'string' && CONTAINER_NAME.test(name)) names.push(name);
    } catch {
      // a broken context is not offered
    }
  }
  return names;
}
