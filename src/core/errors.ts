/**
 * Failures of sidekick itself. Each carries the status the CLI exits with and a hint that
 * tells the user what to do next, so that every layer can fail without knowing the CLI.
 */
export type ErrorCode =
  | 'ENGINE_UNREACHABLE'
  /** The engine answered before, and its connection closed in the middle of an answer (it crashed or restarted). */
  | 'ENGINE_GONE'
  /** The engine took longer than a call's time bound to answer. */
  | 'ENGINE_TIMEOUT'
  | 'ENGINE_ERROR'
  /** The engine lacks a capability the command needs (e.g. it keeps no images). */
  | 'ENGINE_UNSUPPORTED'
  | 'TARGET_NOT_FOUND'
  | 'TARGET_AMBIGUOUS'
  | 'TARGET_NOT_RUNNING'
  | 'TARGET_PAUSED'
  | 'IMAGE_UNAVAILABLE'
  | 'TOOLBOX_UNAVAILABLE'
  | 'BAD_USAGE'
  /** A new container's name is taken (sidekick then tries another generated name). */
  | 'NAME_IN_USE'
  | 'INJECTION_REFUSED'
  | 'READ_ONLY_TARGET'
  | 'PATH_NOT_FOUND'
  | 'UNSAFE_ARCHIVE'
  /** The capture's bytes could not be written where the user asked. */
  | 'CAPTURE_WRITE_FAILED'
  | 'INTERNAL';

export class SidekickError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SidekickError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 125;
  }
}

export function isSidekickError(error: unknown): error is SidekickError {
  return error instanceof SidekickError;
}
