import { describe, expect, it } from 'vitest';
import { environmentOf } from './inspect-report.js';

describe('environmentOf', () => {
  const configured = ['A=1', 'API_TOKEN=t'];

  it("shows the process's own environment when it has one, and names what differs from the configured one", () => {
    const part = environmentOf([{ name: 'A', value: '2' }, { name: 'API_TOKEN', value: 't' }], configured, 1, false);
    expect(part.environmentSource).toBe('process');
    expect(part.environment).toEqual([{ name: 'A', value: '2', masked: false }, { name: 'API_TOKEN', value: '********', masked: true }]);
    expect(part.environmentNote).toMatch(/1 variable differ from the engine's configured environment: A$/);
    expect(environmentOf([{ name: 'A', value: '1' }, { name: 'API_TOKEN', value: 't' }], configured, 1, false).environmentNote).toBeUndefined();
  });

  it('falls back to the configured environment when the process left no variable (overwritten in place, or only a title)', () => {
    for (const live of [[], [{ name: 'redis-server *:6379', value: undefined }]]) {
      const part = environmentOf(live, configured, 7, true);
      expect(part.environmentSource).toBe('configured');
      expect(part.environment).toEqual([{ name: 'A', value: '1', masked: false }, { name: 'API_TOKEN', value: 't', masked: false }]);
      expect(part.environmentNote).toMatch(/\/proc\/7\/environ holds no variable/);
    }
  });
});
