import { describe, expect, it } from 'vitest';
import { clientLiveness, formatClientId, parseClientId, startTimeFromStat, type ClientHost, type StatReading } from './client-id.js';

const local: ClientHost = { machine: 'aaaa1111bbbb2222', boot: 'cccc3333dddd', pidNamespace: '4026531836' };
const stat = (comm: string, start: string): string =>
  `4242 (${comm}) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 ${start} 1000 10 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0`;

describe('client id', () => {
  it('round-trips through its label text', () => {
    const id = { ...local, pid: 4242, startTime: '987654' };
    expect(formatClientId(id)).toBe('aaaa1111bbbb2222.cccc3333dddd.4026531836/4242/987654');
    expect(parseClientId(formatClientId(id))).toEqual(id);
  });

  it('rejects labels that are not client ids', () => {
    for (const text of [undefined, '', 'x', 'a.b/1/2', 'a.b.c/0/2', 'a.b.c/1/x', 'a.b.c/-1/2', 'a.b.c/1/2/3', 'A.b.c/1/2', 'a.b.c.d/1/2']) {
      expect(parseClientId(text), String(text)).toBeUndefined();
    }
  });

  it('reads the start time after the last parenthesis, whatever the command name holds', () => {
    expect(startTimeFromStat(stat('node', '555'))).toBe('555');
    expect(startTimeFromStat(stat('a) S 1 2 3 (b', '777'))).toBe('777');
    expect(startTimeFromStat(stat('with space', '888'))).toBe('888');
    expect(startTimeFromStat('garbage')).toBeUndefined();
  });
});

describe('client liveness', () => {
  const label = (over: Partial<{ machine: string; boot: string; pidNamespace: string; pid: number; startTime: string }> = {}): string =>
    formatClientId({ ...local, pid: 4242, startTime: '555', ...over });
  const reader = (reading: StatReading) => (pid: number): StatReading => {
    expect(pid).toBe(4242);
    return reading;
  };

  it('is alive when that pid runs with that start time', () => {
    expect(clientLiveness(label(), local, reader({ stat: stat('node', '555') }))).toEqual({ state: 'alive', pid: 4242 });
  });

  it('is dead when the pid is gone or is another process now', () => {
    expect(clientLiveness(label(), local, reader('gone'))).toMatchObject({ state: 'dead', pid: 4242 });
    expect(clientLiveness(label(), local, reader({ stat: stat('node', '556') }))).toMatchObject({ state: 'dead', pid: 4242 });
  });

  it('is dead when the client ran in an earlier boot of this machine', () => {
    expect(clientLiveness(label({ boot: 'eeee4444ffff' }), local, () => ({ stat: stat('node', '555') }))).toMatchObject({ state: 'dead' });
  });

  it('is unknown on another machine, in another PID namespace, or when /proc cannot tell', () => {
    const never = (): StatReading => {
      throw new Error('must not look at this machine’s processes');
    };
    expect(clientLiveness(label({ machine: '9999888877776666' }), local, never)).toEqual({ state: 'unknown', reason: 'client on another machine' });
    expect(clientLiveness(label({ pidNamespace: '4026532000' }), local, never)).toMatchObject({ state: 'unknown' });
    expect(clientLiveness(label(), local, reader('unreadable'))).toMatchObject({ state: 'unknown' });
    expect(clientLiveness(label({ startTime: '0' }), local, reader({ stat: stat('node', '555') }))).toMatchObject({ state: 'unknown' });
    expect(clientLiveness(undefined, local, never)).toEqual({ state: 'unknown', reason: 'no client recorded' });
    expect(clientLiveness('forged', local, never)).toMatchObject({ state: 'unknown' });
    expect(clientLiveness(label({ machine: '0' }), { ...local, machine: '0' }, never)).toMatchObject({ state: 'unknown' });
  });
});
