import { describe, expect, it } from 'vitest';
import { formatArgv, shellQuote, shellWord } from './shell-word.js';

describe('shell words', () => {
  it('quotes only words that need it in a command line, and every word in a script', () => {
    expect(formatArgv(['/app/server', '--port=8080', 'a b', "it's", ''])).toBe(`/app/server --port=8080 'a b' 'it'\\''s' ''`);
    expect(shellWord('pod/web:/etc')).toBe('pod/web:/etc');
    expect(shellWord('$HOME')).toBe(`'$HOME'`);
    expect(shellQuote('plain')).toBe(`'plain'`);
  });
});
