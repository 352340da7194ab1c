/**
 * What an inject or eject must undo however it ends: a lock to release, a temporary export to
 * delete, an upload to stop. The work registers each as it takes it on and unregisters it when
 * done; the CLI runs whatever is still registered when a signal ends the process.
 */
export class Cleanups {
  private readonly pending: Array<() => Promise<void>> = [];
  private interrupted = false;

  /**
   * Where the work may stop: once interrupted, it never settles, so that nothing more is
   * written (a manifest published after a Ctrl-C would call a cut upload complete) while the
   * undoing runs and the process exits.
   */
  checkpoint(): Promise<void> {
    return this.interrupted ? new Promise<void>(() => undefined) : Promise.resolve();
  }

  /** Registers `undo`; returns the function that unregisters it. */
  add(undo: () => Promise<void> | void): () => void {
    const entry = async (): Promise<void> => {
      await undo();
    };
    this.pending.push(entry);
    return () => {
      const index = this.pending.indexOf(entry);
      if (index >= 0) this.pending.splice(index, 1);
    };
  }

  /** Runs everything still registered, newest first (an upload stops before its lock goes); never throws. */
  async runAll(): Promise<void> {
    this.interrupted = true;
    while (this.pending.length > 0) {
      const undo = this.pending.pop()!;
      await undo().catch(() => undefined);
    }
  }
}
