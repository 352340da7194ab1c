import { describe, expect, it } from 'vitest';
import { parseEnvFile, readEnvFiles } from './env-file.js';

describe('parseEnvFile', () => {
  it('reads KEY=VALUE lines as written, skips comments and blank lines', () => {
    const text = '\uFEFF# a comment\n\nA=1\n  B=two words \nC="quoted"\nD=\nE=x=y\r\n';
    expect(parseEnvFile(text, 'f', {})).toEqual(['A=1', 'B=two words ', 'C="quoted"', 'D=', 'E=x=y']);
  });

  it("takes a bare name's value from this environment, and leaves it out when unset", () => {
    expect(parseEnvFile('HOME_DIR\nMISSING\n', 'f', { HOME_DIR: '/home/me' })).toEqual(['HOME_DIR=/home/me']);
  });

  it('refuses a line with no name or a name with blanks, naming the file and line', () => {
    expect(() => parseEnvFile('A=1\n=oops\n', 'prod.env', {})).toThrow('--env-file prod.env, line 2: no variable name before "=".');
    expect(() => parseEnvFile('MY VAR=1\n', 'prod.env', {})).toThrow(/line 1: variable name "MY VAR" contains blanks/);
  });
});

describe('readEnvFiles', () => {
  it('reads every file in order', () => {
    const files: Record<string, string> = { a: 'X=1\n', b: 'X=2\nY=3\n' };
    expect(readEnvFiles(['a', 'b'], {}, (path) => files[path]!)).toEqual(['X=1', 'X=2', 'Y=3']);
  });

  it('says plainly when a file is missing', () => {
    expect(() => readEnvFiles(['/no/such/file.env'], {})).toThrow('--env-file /no/such/file.env: no such file.');
  });
});
