/**
 * Whether a process of this host (this PID namespace) exists: signal 0 checks without
 * sending. Only "no such process" means gone; a process of another user (EPERM) exists.
 */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
