import { describe, expect, it } from 'vitest';
import { terminalModes } from './terminal-modes.js';

describe('terminalModes', () => {
  it('opens a terminal shell by default only when stdin is a terminal', () => {
    expect(terminalModes({}, [], true)).toEqual({ interactive: true, tty: true });
    expect(terminalModes({}, [], false)).toEqual({ interactive: true, tty: false });
  });

  it('runs a command without stdin or terminal unless asked, as docker does', () => {
    expect(terminalModes({}, ['ls'], true)).toEqual({ interactive: false, tty: false });
    expect(terminalModes({ interactive: true }, ['cat'], false)).toEqual({ interactive: true, tty: false });
  });

  it('allocates a terminal for -t whatever stdin is, and refuses -it without a terminal on stdin, as docker does', () => {
    expect(terminalModes({ tty: true }, ['ls'], false)).toEqual({ interactive: false, tty: true });
    expect(() => terminalModes({ tty: true, interactive: true }, ['cat'], false)).toThrow(/the input device is not a TTY/);
    expect(() => terminalModes({ tty: true }, [], false)).toThrow(/the input device is not a TTY/);
  });
});
