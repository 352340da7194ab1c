/**
 * vitest setupFiles: a test file of a lane (lanes.ts) holds it from before its first hook to
 * after its last, through the global set-up's lane server. Files of no lane run at once.
 */
import type { Socket } from 'node:net';
import { afterAll, beforeAll, expect, inject } from 'vitest';
import { holdLane } from './lane-server.js';
import { LANE_WAIT_MS, laneOf } from './lanes.js';

let held: Socket | undefined;

beforeAll(async () => {
  const file = expect.getState().testPath;
  const server = inject('laneServer') as string | undefined;
  const lane = file === undefined ? undefined : laneOf(file);
  if (lane === undefined || server === undefined || server === '') return;
  const asked = Date.now();
  held = await holdLane(server, lane, LANE_WAIT_MS);
  if (process.env.SIDEKICK_LANES_TRACE === '1') process.stderr.write(`lanes: ${lane} to ${file} at ${new Date().toISOString()} after ${Date.now() - asked} ms\n`);
}, LANE_WAIT_MS + 10_000);

afterAll(() => {
  if (held !== undefined && process.env.SIDEKICK_LANES_TRACE === '1') process.stderr.write(`lanes: released by ${expect.getState().testPath} at ${new Date().toISOString()}\n`);
  held?.end();
  held = undefined;
});
