import { describe, expect, it } from 'vitest';
import { processState } from './process-state.js';

describe('processState', () => {
  it('names the kernel state letters', () => {
    expect(processState('S')).toEqual({ code: 'S', name: 'sleeping' });
    expect(processState('Z')).toEqual({ code: 'Z', name: 'zombie' });
    expect(processState('t')).toEqual({ code: 't', name: 'tracing stop' });
  });

  it('knows nothing else, including what an object would inherit', () => {
    expect(processState('Q')).toBeUndefined();
    expect(processState('')).toBeUndefined();
    expect(processState('constructor')).toBeUndefined();
  });
});
