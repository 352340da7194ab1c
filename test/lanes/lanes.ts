/**
 * Test lanes: which files may run beside which (docs/ARCHITECTURE.md, "Tests").
 *
 * The suite runs two files at a time, but end-to-end files of one kind may not overlap: the
 * Docker files share one engine and some look at all of it (prune, sessions, leftovers), and
 * the files on the control-plane double are timed against each other as much as against it.
 * So each such file holds its lane for as long as it runs: one Docker file and one file on the
 * double run together, unit tests run beside either. The lanes are held through the global
 * set-up's lane server (lane-server.ts), and released when the file's worker lets go of its
 * connection, also when it dies.
 */
export type Lane = 'docker' | 'kube';

/** The lane of a test file by its path (relative to the repository or absolute), or none. */
export function laneOf(file: string): Lane | undefined {
  const path = file.replaceAll('\\', '/');
  if (/(^|\/)test\/e2e\/kubernetes-[^/]+$/.test(path) || /(^|\/)test\/kube-double\//.test(path)) return 'kube';
  // Pure logic with no engine: the fake engine's contract, the session logic, lint rules.
  if (/(^|\/)test\/(contract|session-logic|lint|bench|lanes)\//.test(path)) return undefined;
  if (/(^|\/)(test|stress)\//.test(path)) return 'docker';
  return undefined;
}

/** What a file waits for, how long at most: the longest file of a lane takes about two minutes. */
export const LANE_WAIT_MS = 280_000;
