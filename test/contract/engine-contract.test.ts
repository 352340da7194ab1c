/** The engine contract against the fake engine (test/fake-engine/): the fake's half of keeping it honest. */
import { FakeEngine } from '../fake-engine/fake-engine.js';
import { FakeFilesystem } from '../fake-engine/fake-filesystem.js';
import { engineContract, type ContractWorld } from './engine-contract.js';

const IMAGE_LABELS = { 'io.sidekick.kind': 'toolbox', 'io.sidekick.contract': 'yes' };

engineContract('fake', async (): Promise<ContractWorld> => {
  const engine = new FakeEngine();
  engine.addImage('fake/contract:1', { labels: IMAGE_LABELS, fs: new FakeFilesystem().mkdir('/bin').mkdir('/tmp') });
  let count = 0;
  return {
    engine,
    async startContainer(labels = {}) {
      const made = engine.addContainer(`contract-${++count}`, { image: 'fake/contract:1', labels });
      return { id: made.id, name: made.name };
    },
    async createContainer(labels = {}) {
      const made = engine.addContainer(`contract-${++count}`, { image: 'fake/contract:1', labels, status: 'created' });
      return { id: made.id, name: made.name };
    },
    async labelledImage() {
      return { reference: 'fake/contract:1', labels: IMAGE_LABELS };
    },
    async cleanup() {
      engine.close();
    },
  };
});
