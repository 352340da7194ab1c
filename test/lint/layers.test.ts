import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const eslint = new ESLint({ cwd: root });

/** The layer rule's messages for a file of that path with one import, linted with the repository's own config. */
async function crossings(path: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(`import type * as m from '${source}';\nexport type M = typeof m;\n`, { filePath: `${root}/${path}` });
  return result!.messages.filter((message) => message.ruleId === 'sidekick/layers').map((message) => message.message);
}

describe('the layers of src/ (docs/ARCHITECTURE.md, "Layers")', () => {
  it('refuse an import across them', async () => {
    expect(await crossings('src/core/anything.ts', '../debug/lease.js')).toEqual([expect.stringContaining('core/ may not import debug/')]);
    expect(await crossings('src/core/inject/anything.ts', '../../engines/engine.js')).toEqual([expect.stringContaining('core/ may not import the engine interface')]);
    expect(await crossings('src/core/anything.ts', '../cli/main.js')).toHaveLength(1);
    expect(await crossings('src/debug/anything.ts', '../engines/docker/docker-engine.js')).toEqual([expect.stringContaining('debug/ may not import engines/docker/')]);
    expect(await crossings('src/debug/port-forward/anything.ts', '../../engines/kubernetes/channel-protocol.js')).toHaveLength(1);
    expect(await crossings('src/debug/anything.ts', '../cli/main.js')).toHaveLength(1);
    expect(await crossings('src/engines/docker/anything.ts', '../kubernetes/channel-protocol.js')).toEqual([expect.stringContaining('engines/docker/ may not import engines/kubernetes/')]);
    // At any depth of an engine's own directory.
    expect(await crossings('src/engines/docker/exec/anything.ts', '../../../debug/lease.js')).toHaveLength(1);
    expect(await crossings('src/engines/kubernetes/anything.ts', '../../cli/main.js')).toHaveLength(1);
    expect(await crossings('src/engines/engine.ts', '../debug/lease.js')).toHaveLength(1);
  });

  it('let each layer import what is beneath it', async () => {
    expect(await crossings('src/core/inject/anything.ts', '../errors.js')).toEqual([]);
    expect(await crossings('src/engines/engine.ts', '../core/target.js')).toEqual([]);
    expect(await crossings('src/engines/docker/exec/anything.ts', '../../engine.js')).toEqual([]);
    expect(await crossings('src/engines/docker/exec/anything.ts', '../docker-api.js')).toEqual([]);
    expect(await crossings('src/debug/anything.ts', '../engines/engine.js')).toEqual([]);
    expect(await crossings('src/debug/inject/anything.ts', '../../core/errors.js')).toEqual([]);
    expect(await crossings('src/cli/anything.ts', '../engines/docker/docker-engine.js')).toEqual([]);
    expect(await crossings('src/cli/anything.ts', '../debug/lease.js')).toEqual([]);
  });
});
