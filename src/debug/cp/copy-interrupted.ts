/**
 * A copy stopped by a signal to the CLI after it removed what it had written. The CLI says so
 * and exits with the signal's status (130 for SIGINT), as a shell expects.
 */
export class CopyInterrupted extends Error {
  constructor(
    readonly signalName: string,
    options: { cause?: unknown } = {},
  ) {
    super(`interrupted by ${signalName}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CopyInterrupted';
  }
}
