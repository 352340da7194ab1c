/**
 * The one table that turns the engine's refusals (EngineHttpError: a status and the engine's
 * message) into what sidekick says: a SidekickError a person can act on, or "absent" (the
 * object is not there, or no longer in the way, and the caller has an answer of its own for
 * that). The rows are read in order, for the operation at hand; the first that matches wins.
 * An error the table does not know (the transport's own, a status no row names) is passed
 * on as it is.
 */
import { SidekickError } from '../../core/errors.js';
import { EngineHttpError } from './docker-api.js';

export type EngineOperation =
  /** GET /containers/{ref}/json, before the list is asked to resolve a prefix. */
  | 'inspect-container'
  | 'remove-container'
  | 'stop-container'
  | 'signal-container'
  | 'resize'
  | 'image-labels'
  | 'inspect-image'
  | 'remove-image'
  | 'pull-image'
  /** Creating the never-started container that exports an image's layers. */
  | 'export-image'
  | 'create-sidekick'
  | 'create-container'
  | 'connect-networks'
  | 'start-sidekick'
  | 'start-container'
  /** Any call on an existing container: commit, exec, archive, stat. */
  | 'container-call'
  /** HEAD of an archive: 404 for a path that is not there. */
  | 'stat-path';

export interface ErrorContext {
  endpoint: string;
  containerId?: string;
  path?: string;
  image?: string;
}

export const ABSENT = Symbol('absent');

type Outcome = typeof ABSENT | ((error: EngineHttpError, context: ErrorContext) => SidekickError);

interface Row {
  operations: readonly EngineOperation[];
  /** Statuses that match; any when left out. */
  status?: readonly number[];
  /** Matches the engine's message; any when left out. */
  message?: RegExp;
  outcome: Outcome;
}

const short = (context: ErrorContext): string => (context.containerId ?? '').slice(0, 12);
const nounOf = (operation: EngineOperation): string => (operation === 'create-sidekick' ? 'sidekick' : 'container');

const CREATE = ['create-sidekick', 'create-container'] as const;
const ON_CONTAINER = ['container-call', 'stat-path'] as const;

/** Built per call, for the operation's noun; the order matters. */
function rows(operation: EngineOperation): Row[] {
  return [
    { operations: ['inspect-container'], status: [404], outcome: ABSENT },
    // An ambiguous prefix: 400 or 500 "multiple IDs found", by engine version. The list decides.
    { operations: ['inspect-container'], message: /multiple ids/i, outcome: ABSENT },
    // Already gone (auto-remove won the race) or being removed: that is what was wanted.
    { operations: ['remove-container', 'stop-container', 'signal-container'], status: [404, 409], outcome: ABSENT },
    // Resizing a process that just ended is not worth reporting.
    { operations: ['resize'], outcome: ABSENT },
    { operations: ['image-labels', 'remove-image'], status: [404], outcome: ABSENT },
    // 400: not even a valid reference, which is "not there" for the person asking.
    { operations: ['inspect-image'], status: [404, 400], outcome: ABSENT },
    {
      operations: ['pull-image'],
      outcome: (error, context) =>
        new SidekickError('IMAGE_UNAVAILABLE', `cannot pull image ${context.image}: ${error.engineMessage}`, {
          hint: 'Check the name, build or load it locally (`docker images`), or log in to its registry.',
          cause: error,
        }),
    },
    {
      operations: ['export-image'],
      status: [404],
      outcome: (error, context) =>
        new SidekickError('IMAGE_UNAVAILABLE', `image ${context.image} is not on ${context.endpoint}.`, {
          hint: 'Build or pull it first (docker pull), or give a rootfs tarball.',
          cause: error,
        }),
    },
    {
      operations: CREATE,
      status: [404],
      message: /no such image/i,
      outcome: (error, context) => new SidekickError('IMAGE_UNAVAILABLE', `image ${context.image} is not on ${context.endpoint}.`, { cause: error }),
    },
    {
      operations: CREATE,
      status: [409],
      outcome: (error) =>
        new SidekickError(/already in use/i.test(error.engineMessage) ? 'NAME_IN_USE' : 'BAD_USAGE', `cannot create the ${nounOf(operation)}: ${error.engineMessage}`, {
          hint: 'Pick another --name, or remove the container that has it.',
          cause: error,
        }),
    },
    {
      operations: ['create-container'],
      outcome: (error) =>
        new SidekickError('ENGINE_ERROR', `the engine could not create the container: ${error.engineMessage}`, {
          cause: error,
          hint: 'Check that its image, volumes and networks still exist; --debug shows details.',
        }),
    },
    {
      operations: ['connect-networks'],
      outcome: (error) =>
        new SidekickError('ENGINE_ERROR', `the engine could not connect the container to its networks: ${error.engineMessage}`, {
          cause: error,
          hint: 'A network of the original may have been removed (docker network ls).',
        }),
    },
    {
      operations: ['start-sidekick'],
      message: /no such file|not found in \$PATH/i,
      outcome: (error) =>
        new SidekickError('ENGINE_ERROR', `the engine could not start the sidekick: ${error.engineMessage}`, {
          cause: error,
          hint: 'A toolbox image needs /bin/sh; drop --image to use the built-in busybox.',
        }),
    },
    {
      operations: ['start-sidekick'],
      outcome: (error) =>
        new SidekickError('ENGINE_ERROR', `the engine could not start the sidekick: ${error.engineMessage}`, {
          cause: error,
          hint: 'Check the engine log (dockerd) and that the target is still running; --debug shows details.',
        }),
    },
    {
      operations: ['start-container'],
      outcome: (error, context) =>
        new SidekickError('ENGINE_ERROR', `the engine could not start container ${short(context)}: ${error.engineMessage}`, {
          cause: error,
          hint: 'Check the engine log (dockerd); --debug shows details.',
        }),
    },
    {
      operations: ON_CONTAINER,
      message: /no such container/i,
      outcome: (error, context) => new SidekickError('TARGET_NOT_FOUND', `container ${short(context)} no longer exists.`, { cause: error }),
    },
    { operations: ['stat-path'], status: [404], outcome: ABSENT },
    {
      operations: ON_CONTAINER,
      status: [409],
      message: /not running|paused/i,
      outcome: (error, context) => new SidekickError('TARGET_NOT_RUNNING', `container ${short(context)}: ${error.engineMessage}`, { cause: error }),
    },
    {
      operations: ON_CONTAINER,
      outcome: (error, context) =>
        new SidekickError('ENGINE_ERROR', `the engine refused${context.path === undefined ? '' : ` at ${context.path}`} in container ${short(context)}: ${error.engineMessage}`, {
          cause: error,
          hint: 'Check the path and that the container still exists (docker ps -a).',
        }),
    },
  ];
}

/** What to do with an error of `operation`: ABSENT, or the error to throw. */
export function translateEngineError(operation: EngineOperation, error: unknown, context: ErrorContext): typeof ABSENT | unknown {
  if (!(error instanceof EngineHttpError)) return error;
  for (const row of rows(operation)) {
    if (!row.operations.includes(operation)) continue;
    if (row.status !== undefined && !row.status.includes(error.statusCode)) continue;
    if (row.message !== undefined && !row.message.test(error.engineMessage)) continue;
    return row.outcome === ABSENT ? ABSENT : row.outcome(error, context);
  }
  return error;
}

/** Returns when the table says the object is absent; throws what it says otherwise. */
export function throwUnlessAbsent(operation: EngineOperation, error: unknown, context: ErrorContext): void {
  const verdict = translateEngineError(operation, error, context);
  if (verdict !== ABSENT) throw verdict;
}

/** The error the table says to throw; for operations that have no "absent" answer. */
export function engineFailure(operation: EngineOperation, error: unknown, context: ErrorContext): unknown {
  const verdict = translateEngineError(operation, error, context);
  // An operation with no ABSENT row never gets here with it; should one be added, the engine's own error is the honest answer.
  return verdict === ABSENT ? error : verdict;
}
