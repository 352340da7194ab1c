import { describe, expect, it } from 'vitest';
import { SidekickError } from '../../core/errors.js';
import { EngineHttpError } from './docker-api.js';
import { ABSENT, engineFailure, translateEngineError, type EngineOperation } from './engine-errors.js';

const context = { endpoint: 'unix:///var/run/docker.sock', containerId: '0123456789abcdef', image: 'shop:1', path: '/etc' };
const refusal = (status: number, message: string) => new EngineHttpError(status, message);
const verdict = (operation: EngineOperation, status: number, message: string) => translateEngineError(operation, refusal(status, message), context);

describe('the engine error table', () => {
  it('says "absent" where the object being gone is an answer', () => {
    const absent: Array<[EngineOperation, number, string]> = [
      ['inspect-container', 404, 'No such container: web'],
      ['inspect-container', 500, 'Multiple IDs found with provided prefix: ab'],
      ['inspect-container', 400, 'multiple IDs found with provided prefix: ab'],
      ['remove-container', 404, 'No such container: 0123'],
      ['remove-container', 409, 'removal of container 0123 is already in progress'],
      ['stop-container', 409, 'removal in progress'],
      ['signal-container', 404, 'No such container'],
      ['resize', 500, 'cannot resize a stopped container'],
      ['image-labels', 404, 'No such image: shop:1'],
      ['inspect-image', 400, 'invalid reference format'],
      ['remove-image', 404, 'No such image: shop:1'],
      ['stat-path', 404, 'Could not find the file /etc in container 0123'],
    ];
    for (const [operation, status, message] of absent) expect([operation, verdict(operation, status, message)]).toEqual([operation, ABSENT]);
  });

  it('turns refusals into errors a person can act on', () => {
    const cases: Array<[EngineOperation, number, string, string, RegExp]> = [
      ['pull-image', 404, 'pull access denied for shop', 'IMAGE_UNAVAILABLE', /^cannot pull image shop:1: pull access denied/],
      ['pull-image', 200, 'manifest unknown', 'IMAGE_UNAVAILABLE', /^cannot pull image shop:1: manifest unknown$/],
      ['export-image', 404, 'No such image: shop:1', 'IMAGE_UNAVAILABLE', /^image shop:1 is not on unix:\/\/\/var\/run\/docker.sock\.$/],
      ['create-sidekick', 404, 'No such image: shop:1', 'IMAGE_UNAVAILABLE', /^image shop:1 is not on /],
      ['create-sidekick', 409, 'Conflict. The container name "/x" is already in use', 'NAME_IN_USE', /^cannot create the sidekick: Conflict/],
      ['create-container', 409, 'Conflict. something else', 'BAD_USAGE', /^cannot create the container: Conflict/],
      ['create-container', 500, 'invalid mount config', 'ENGINE_ERROR', /^the engine could not create the container: invalid mount/],
      ['connect-networks', 404, 'network shop_default not found', 'ENGINE_ERROR', /could not connect the container to its networks/],
      ['start-sidekick', 400, 'exec: "/bin/sh": stat /bin/sh: no such file or directory', 'ENGINE_ERROR', /^the engine could not start the sidekick: /],
      ['start-container', 500, 'OCI runtime create failed', 'ENGINE_ERROR', /^the engine could not start container 0123456789ab: OCI/],
      ['container-call', 404, 'No such container: 0123', 'TARGET_NOT_FOUND', /^container 0123456789ab no longer exists\.$/],
      ['stat-path', 404, 'No such container: 0123', 'TARGET_NOT_FOUND', /no longer exists/],
      ['container-call', 409, 'Container 0123 is not running', 'TARGET_NOT_RUNNING', /^container 0123456789ab: Container 0123 is not running$/],
      ['container-call', 409, 'Container 0123 is paused, unpause the container before exec', 'TARGET_NOT_RUNNING', /paused/],
      ['container-call', 500, 'mkdir /etc: read-only file system', 'ENGINE_ERROR', /^the engine refused at \/etc in container 0123456789ab: mkdir/],
    ];
    for (const [operation, status, message, code, text] of cases) {
      const error = verdict(operation, status, message);
      expect(error, `${operation} ${status}`).toBeInstanceOf(SidekickError);
      expect({ operation, code: (error as SidekickError).code }).toEqual({ operation, code });
      expect((error as SidekickError).message).toMatch(text);
      expect((error as SidekickError).cause).toBeInstanceOf(EngineHttpError);
    }
    const noShell = verdict('start-sidekick', 400, 'exec: "sh": executable file not found in $PATH') as SidekickError;
    expect(noShell.hint).toMatch(/needs \/bin\/sh/);
    expect((verdict('start-sidekick', 500, 'cgroup error') as SidekickError).hint).toMatch(/engine log/);
  });

  it('passes on what it does not know: other statuses, and errors that are not refusals', () => {
    const unknownStatus = refusal(500, 'No such container: web');
    expect(translateEngineError('inspect-container', unknownStatus, context)).toBe(unknownStatus);
    const sidekickCreate = refusal(500, 'oops');
    expect(translateEngineError('create-sidekick', sidekickCreate, context)).toBe(sidekickCreate);
    expect(translateEngineError('remove-container', refusal(500, 'driver failed'), context)).toBeInstanceOf(EngineHttpError);
    const transport = new SidekickError('ENGINE_GONE', 'went away');
    expect(translateEngineError('container-call', transport, context)).toBe(transport);
    expect(engineFailure('stop-container', refusal(404, 'gone'), context)).toBeInstanceOf(EngineHttpError);
  });
});
