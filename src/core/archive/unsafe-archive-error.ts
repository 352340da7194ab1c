/**
 * Raised when a tar stream (which comes from an untrusted container) asks for something that
 * could write outside the destination or destroy what is already there. It carries the entry
 * name exactly as the archive spelled it, so that the user can find it, and a one-line reason.
 */
export class UnsafeArchiveError extends Error {
  readonly entryName: string;
  readonly reason: string;

  constructor(entryName: string, reason: string) {
    super(`unsafe archive entry ${JSON.stringify(entryName)}: ${reason}`);
    this.name = 'UnsafeArchiveError';
    this.entryName = entryName;
    this.reason = reason;
  }
}

export function isUnsafeArchiveError(error: unknown): error is UnsafeArchiveError {
  return error instanceof UnsafeArchiveError;
}
