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

  it('refuses -t without a terminal on stdin', () => {
    expect(() => terminalModes({ tty: true }, ['ls'], false)).toThrow(/-t asks for a terminal/);
  });
});
