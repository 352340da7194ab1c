import { describe, expect, it } from 'vitest';
import { capabilityOption, containerNameOption, userOption, workdirOption } from './argument-checks.js';

describe('argument checks', () => {
  it('takes capabilities as docker does and names an unknown one', () => {
    expect(capabilityOption('net_admin', [])).toEqual(['NET_ADMIN']);
    expect(capabilityOption('CAP_SYS_ADMIN', ['NET_RAW'])).toEqual(['NET_RAW', 'SYS_ADMIN']);
    expect(capabilityOption('all', [])).toEqual(['ALL']);
    expect(() => capabilityOption('NOT_A_CAP', [])).toThrow(/--cap-add "NOT_A_CAP" is not a Linux capability/);
  });

  it("applies docker's rule to new container names", () => {
    expect(containerNameOption('dbg.1_a-b')).toBe('dbg.1_a-b');
    expect(() => containerNameOption('bad name/x')).toThrow(/--name "bad name\/x" is not a valid container name/);
    expect(() => containerNameOption('x')).toThrow(/not a valid container name/);
  });

  it('keeps user ids within what the sidekick can switch to', () => {
    expect(userOption('65532:65532')).toBe('65532:65532');
    expect(userOption('target')).toBe('target');
    expect(userOption('2147483647')).toBe('2147483647');
    expect(() => userOption('4294967295')).toThrow(/--user 4294967295: 4294967295 is out of range/);
    expect(() => userOption('0:4294967295')).toThrow(/out of range/);
    expect(() => userOption('root')).toThrow(/--user "root" is not UID, UID:GID or "target"/);
  });

  it('takes -w as an absolute path only, as docker exec does', () => {
    expect(workdirOption('/srv/app')).toBe('/srv/app');
    expect(() => workdirOption('app')).toThrow('-w "app" is not an absolute path.');
  });
});
