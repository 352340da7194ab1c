/**
 * The engine contract (test/contract/engine-contract.ts) against the real Docker engine, on
 * containers of the busybox toolbox image (a shell's `cat`, a writable root): the truth the fake
 * engine is held to.
 */
import { randomBytes } from 'node:crypto';
import { connectEngine } from '../../src/cli/engine-from-flags.js';
import { ensureDefaultToolbox } from '../../src/debug/toolbox.js';
import { docker } from '../fixtures/docker-cli.js';
import { engineContract, type ContractWorld } from '../contract/engine-contract.js';
import { removeTarget, startTarget, TEST_TARGET_LABEL } from './harness.js';

engineContract('Docker', async (): Promise<ContractWorld> => {
  const { engine } = connectEngine({});
  const toolbox = await ensureDefaultToolbox(engine, process.env);
  const made: string[] = [];
  const labelFlags = (labels: Record<string, string>): string[] => Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
  return {
    engine,
    async startContainer(labels = {}) {
      // sleep as PID 1 ignores TERM: a stop takes the grace (1 s in the contract), then KILL.
      const target = await startTarget(toolbox.image, { dockerArgs: labelFlags(labels), command: ['/bin/sleep', '3600'] });
      made.push(target.id);
      return { id: target.id, name: target.name };
    },
    async createContainer(labels = {}) {
      const name = `sidekick-test-${randomBytes(4).toString('hex')}`;
      const id = (await docker(['create', '--label', `${TEST_TARGET_LABEL}=1`, '--name', name, ...labelFlags(labels), toolbox.image, '/bin/sleep', '3600'])).trim();
      made.push(id);
      return { id, name };
    },
    async labelledImage() {
      return { reference: toolbox.image, labels: { 'io.sidekick.kind': 'toolbox' } };
    },
    async cleanup() {
      await Promise.all(made.map((id) => removeTarget(id)));
      engine.close();
    },
  };
});
