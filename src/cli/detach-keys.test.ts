import { describe, expect, it } from 'vitest';
import { chooseDetachKeys, DetachKeyMatcher, parseDetachKeys } from './detach-keys.js';

describe('parseDetachKeys', () => {
  it("reads docker's syntax", () => {
    expect([...parseDetachKeys('ctrl-p,ctrl-q')]).toEqual([16, 17]);
    expect([...parseDetachKeys('ctrl-@,ctrl-[,ctrl-\\,ctrl-],ctrl-^,ctrl-_')]).toEqual([0, 27, 28, 29, 30, 31]);
    expect([...parseDetachKeys('a,ctrl-a,DEL')]).toEqual([97, 1, 127]);
  });

  it('names a key it does not know', () => {
    expect(() => parseDetachKeys('ctrl-P')).toThrow(/--detach-keys "ctrl-P": unknown key "ctrl-P"/);
    expect(() => parseDetachKeys('ctrl-p,,ctrl-q')).toThrow(/unknown key ""/);
    expect(() => parseDetachKeys('alt-x')).toThrow(/unknown key "alt-x"/);
  });
});

describe('chooseDetachKeys', () => {
  const config = (text: string) => (path: string) => (path === '/cfg/config.json' ? text : undefined);
  it('takes the flag, else detachKeys of the docker config, else ctrl-p,ctrl-q', () => {
    expect(chooseDetachKeys('ctrl-x', { DOCKER_CONFIG: '/cfg' }, config('{"detachKeys":"ctrl-a"}'))).toBe('ctrl-x');
    expect(chooseDetachKeys(undefined, { DOCKER_CONFIG: '/cfg' }, config('{"detachKeys":"ctrl-a"}'))).toBe('ctrl-a');
    expect(chooseDetachKeys(undefined, { DOCKER_CONFIG: '/cfg' }, config('{ broken'))).toBe('ctrl-p,ctrl-q');
    expect(chooseDetachKeys(undefined, { DOCKER_CONFIG: '/cfg' }, () => undefined)).toBe('ctrl-p,ctrl-q');
  });
});

describe('DetachKeyMatcher', () => {
  const P = 16;
  const Q = 17;
  it('detaches on the whole sequence, split across reads or not, and drops what follows it', () => {
    const matcher = new DetachKeyMatcher(Buffer.from([P, Q]));
    expect(matcher.push(Buffer.from('ab'))).toEqual({ forward: Buffer.from('ab'), detached: false });
    expect(matcher.push(Buffer.from([P]))).toEqual({ forward: Buffer.alloc(0), detached: false });
    expect(matcher.push(Buffer.from([Q, 120]))).toEqual({ forward: Buffer.alloc(0), detached: true });
    expect(new DetachKeyMatcher(Buffer.from([P, Q])).push(Buffer.from([104, P, Q]))).toEqual({ forward: Buffer.from('h'), detached: true });
  });

  it('passes on every byte of a sequence that was not completed, in order', () => {
    const matcher = new DetachKeyMatcher(Buffer.from([P, Q]));
    expect(matcher.push(Buffer.from([P]))).toEqual({ forward: Buffer.alloc(0), detached: false });
    expect(matcher.push(Buffer.from('x'))).toEqual({ forward: Buffer.from([P, 120]), detached: false });
    // Ctrl-P Ctrl-P Ctrl-Q: the first Ctrl-P is passed on, the last two detach.
    expect(matcher.push(Buffer.from([P, P, Q]))).toEqual({ forward: Buffer.from([P]), detached: true });
  });

  it('finds a sequence whose start repeats inside it', () => {
    const matcher = new DetachKeyMatcher(Buffer.from('aab'));
    expect(matcher.push(Buffer.from('aaab'))).toEqual({ forward: Buffer.from('a'), detached: true });
  });
});
