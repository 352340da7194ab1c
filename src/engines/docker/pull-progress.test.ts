import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../engine.js';
import { drainProgress, splitReference } from './pull-progress.js';

describe('splitReference', () => {
  it('splits name and tag the way the engine expects them', () => {
    expect(splitReference('busybox:musl')).toEqual({ name: 'busybox', tag: 'musl' });
    expect(splitReference('registry:5000/team/tool')).toEqual({ name: 'registry:5000/team/tool', tag: 'latest' });
    expect(splitReference('registry:5000/tool:1.2')).toEqual({ name: 'registry:5000/tool', tag: '1.2' });
    expect(splitReference('tool@sha256:abc')).toEqual({ name: 'tool', tag: 'sha256:abc' });
  });
});

describe('drainProgress', () => {
  // Lines as a pull of busybox writes them, cut at arbitrary places as the network delivers them.
  const lines = [
    '{"status":"Pulling from library/busybox","id":"musl"}',
    '{"status":"Downloading","progressDetail":{"current":1,"total":2},"progress":"[=====>   ]","id":"a1b2"}',
    'not json',
    '',
    '{"status":"Pull complete","id":"a1b2"}',
  ];

  it('hands on every status line, whole, however the stream is cut', async () => {
    const text = lines.join('\n') + '\n';
    const events: ProgressEvent[] = [];
    await drainProgress(Readable.from([text.slice(0, 17), text.slice(17, 90), text.slice(90)]), (event) => events.push(event));
    expect(events).toEqual([
      { status: 'Pulling from library/busybox', id: 'musl' },
      { status: 'Downloading', id: 'a1b2', progress: '[=====>   ]' },
      { status: 'Pull complete', id: 'a1b2' },
    ]);
  });

  it("fails with the engine's message when the stream of a 200 answer ends with an error", async () => {
    const text = lines[0] + '\n{"errorDetail":{"message":"manifest unknown"},"error":"manifest unknown"}\n';
    await expect(drainProgress(Readable.from([text]), () => undefined)).rejects.toMatchObject({ statusCode: 200, engineMessage: 'manifest unknown' });
  });
});
