import { describe, expect, it } from 'vitest';
import { Cleanups } from './cleanups.js';

describe('cleanups of an interrupted inject or eject', () => {
  it('runs what is still registered, newest first, and goes on after a failure', async () => {
    const cleanups = new Cleanups();
    const order: string[] = [];
    cleanups.add(() => void order.push('lock'));
    const done = cleanups.add(() => void order.push('finished upload'));
    cleanups.add(async () => {
      order.push('export');
      throw new Error('already gone');
    });
    cleanups.add(() => void order.push('upload'));
    done();
    await cleanups.runAll();
    expect(order).toEqual(['upload', 'export', 'lock']);
  });

  it('holds the work at its next checkpoint once interrupted, so nothing more is written', async () => {
    const cleanups = new Cleanups();
    await expect(cleanups.checkpoint()).resolves.toBeUndefined();
    await cleanups.runAll();
    const held = await Promise.race([cleanups.checkpoint().then(() => 'passed'), new Promise((resolve) => setImmediate(() => resolve('held')))]);
    expect(held).toBe('held');
  });
});
