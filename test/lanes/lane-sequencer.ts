/**
 * Orders the test files for two workers and the lanes (lanes.ts): the files of each lane in a
 * chain of their own, longest first, the chains merged by when each file would start in its
 * chain, so that a worker that takes the next file seldom waits for the other worker's lane.
 * A file's length is its last run's (vitest's cache) or else its size.
 */
import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { laneOf } from './lanes.js';

export default class LaneSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const cache = this.ctx.cache;
    const cost = (spec: TestSpecification): number => {
      const last = cache.getFileTestResults(`${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`)?.duration;
      if (last !== undefined) return last;
      // No run on record: an end-to-end file takes about a second per 600 bytes, a unit file next to nothing.
      const bytes = statSync(spec.moduleId, { throwIfNoEntry: false })?.size ?? 0;
      return laneOf(spec.moduleId) === undefined ? bytes / 100_000 : bytes / 0.6;
    };
    const chains = new Map<string, TestSpecification[]>();
    for (const spec of sorted) {
      const lane = laneOf(spec.moduleId) ?? 'none';
      chains.set(lane, [...(chains.get(lane) ?? []), spec]);
    }
    const timed: Array<{ spec: TestSpecification; start: number; order: number }> = [];
    let order = 0;
    for (const chain of chains.values()) {
      chain.sort((a, b) => cost(b) - cost(a));
      let start = 0;
      for (const spec of chain) {
        timed.push({ spec, start, order: order++ });
        start += cost(spec);
      }
    }
    return timed.sort((a, b) => a.start - b.start || a.order - b.order).map(({ spec }) => spec);
  }
}
