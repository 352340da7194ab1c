/** A task state as /proc/<pid>/stat and status show it: one letter, and what it means. */
export interface ProcessState {
  code: string;
  name: string;
}

// Letters from fs/proc/array.c (task_state_array), plus the ones older kernels used.
const STATE_NAMES: ReadonlyMap<string, string> = new Map([
  ['R', 'running'],
  ['S', 'sleeping'],
  ['D', 'disk sleep'],
  ['T', 'stopped'],
  ['t', 'tracing stop'],
  ['X', 'dead'],
  ['x', 'dead'],
  ['Z', 'zombie'],
  ['P', 'parked'],
  ['I', 'idle'],
  ['K', 'wakekill'],
  ['W', 'waking'],
]);

/** Returns undefined for anything but a known single letter. */
export function processState(code: string): ProcessState | undefined {
  const name = STATE_NAMES.get(code);
  return name === undefined ? undefined : { code, name };
}
