import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ownerKeyDirectories, signingKey, verifyingKeys } from './owner-key.js';

const NO_HOME = '';
const made: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sidekick-key-test-'));
  made.push(dir);
  return dir;
}

afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('owner key', () => {
  it('is made on first use under XDG_STATE_HOME, private, and the same key afterwards', () => {
    const state = tempDir();
    const env = { XDG_STATE_HOME: state };
    const first = signingKey(env, NO_HOME);
    expect(first.key).toBeInstanceOf(Buffer);
    expect(first.key!.length).toBe(32);
    const path = join(state, 'sidekick', 'owner.key');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(state, 'sidekick')).mode & 0o777).toBe(0o700);
    expect(readFileSync(path, 'utf8').trim()).toBe(first.key!.toString('hex'));
    expect(verifyingKeys(env, NO_HOME)).toEqual([first.key]);
  });

  it('uses a key that is already there, never replaces it', () => {
    const state = tempDir();
    mkdirSync(join(state, 'sidekick'), { mode: 0o700 });
    const text = 'ab'.repeat(32);
    writeFileSync(join(state, 'sidekick', 'owner.key'), `${text}\n`, { mode: 0o600 });
    expect(signingKey({ XDG_STATE_HOME: state }, NO_HOME).key?.toString('hex')).toBe(text);
    expect(readFileSync(join(state, 'sidekick', 'owner.key'), 'utf8')).toBe(`${text}\n`);
  });

  it('defaults to ~/.local/state, then the account’s own home, then XDG_RUNTIME_DIR; a relative XDG_STATE_HOME is ignored', () => {
    expect(ownerKeyDirectories({ HOME: '/home/u', XDG_STATE_HOME: 'rel' }, NO_HOME)).toEqual(['/home/u/.local/state/sidekick']);
    // XDG_STATE_HOME, when set, is the only state directory.
    expect(ownerKeyDirectories({ HOME: '/home/u', XDG_STATE_HOME: '/s' }, '/root')).toEqual(['/s/sidekick']);
    expect(ownerKeyDirectories({ HOME: '/home/u', XDG_RUNTIME_DIR: '/run/user/1000' }, '/root')).toEqual([
      '/home/u/.local/state/sidekick',
      '/root/.local/state/sidekick',
      '/run/user/1000/sidekick',
    ]);
  });

  it('refuses a key others can read, and uses the next place', () => {
    const state = tempDir();
    const runtime = tempDir();
    mkdirSync(join(state, 'sidekick'), { mode: 0o700 });
    writeFileSync(join(state, 'sidekick', 'owner.key'), `${'cd'.repeat(32)}\n`);
    chmodSync(join(state, 'sidekick', 'owner.key'), 0o644);
    const env = { XDG_STATE_HOME: state, XDG_RUNTIME_DIR: runtime };
    const lookup = signingKey(env, NO_HOME);
    expect(lookup.key?.toString('hex')).not.toBe('cd'.repeat(32));
    expect(readFileSync(join(runtime, 'sidekick', 'owner.key'), 'utf8').trim()).toBe(lookup.key!.toString('hex'));
    expect(verifyingKeys(env, NO_HOME)).toEqual([lookup.key]);
  });

  it('falls back to XDG_RUNTIME_DIR when the state directory cannot be written (read-only home)', () => {
    const blocker = join(tempDir(), 'a-file');
    writeFileSync(blocker, 'not a directory');
    const runtime = tempDir();
    const lookup = signingKey({ HOME: blocker, XDG_RUNTIME_DIR: runtime }, NO_HOME);
    expect(lookup.key).toBeInstanceOf(Buffer);
    expect('path' in lookup && lookup.path).toBe(join(runtime, 'sidekick', 'owner.key'));
  });

  it('says why when no place can hold a key', () => {
    const blocker = join(tempDir(), 'a-file');
    writeFileSync(blocker, 'not a directory');
    const lookup = signingKey({ HOME: blocker }, NO_HOME);
    expect(lookup.key).toBeUndefined();
    expect('problems' in lookup && lookup.problems.join('\n')).toMatch(/owner\.key.*not a directory/);
  });

  it.runIf(process.getuid?.() === 0)('does not make a key in another user’s home (sudo keeping HOME)', () => {
    const home = tempDir();
    chownSync(home, 4321, 4321);
    const lookup = signingKey({ HOME: home }, NO_HOME);
    expect(lookup.key).toBeUndefined();
    expect('problems' in lookup && lookup.problems.join('\n')).toMatch(/belongs to another user/);
  });
});
