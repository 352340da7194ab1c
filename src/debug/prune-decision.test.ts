import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LABEL_OWNER, ownedSessionLabels, type SessionLabels } from '../core/labels.js';
import type { ClientHost, ClientId, StatReading } from '../core/ownership/client-id.js';
import { decide, type ObjectFacts, type PruneRules } from './prune-decision.js';

const key = randomBytes(32);
const local: ClientHost = { machine: 'aaaa1111bbbb2222', boot: 'cccc3333dddd', pidNamespace: '4026531836' };
const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const OLD = new Date(NOW - 3_600_000);
const LIVE_PID = 100;
const DEAD_PID = 200;
const statOf = (start: string): string => `${LIVE_PID} (node) S ${'0 '.repeat(18)}${start} 0`;

function rules(all = false): PruneRules {
  return {
    keys: [key],
    local,
    readStat: (pid: number): StatReading => (pid === LIVE_PID ? { stat: statOf('777') } : 'gone'),
    all,
    now: NOW,
    graceMs: 60_000,
  };
}

function labels(client: Partial<ClientId> = {}, over: Partial<SessionLabels> = {}, signWith: Buffer = key): Record<string, string> {
  return ownedSessionLabels(
    { session: 's1', kind: 'sidekick', target: 't1', created: OLD, ...over },
    { key: signWith, client: { ...local, pid: DEAD_PID, startTime: '555', ...client } },
  );
}

const container = (l: Record<string, string>, extra: Partial<ObjectFacts> = {}): ObjectFacts => ({ type: 'container', labels: l, imageLabels: {}, ...extra });

describe('prune decisions', () => {
  it('removes an object of ours whose client is gone, at any age', () => {
    expect(decide(container(labels()), rules())).toMatchObject({ action: 'remove', ownership: 'mine', reason: expect.stringMatching(/orphan: client pid 200 is gone/) });
    const young = labels({}, { created: new Date(NOW - 1_000) });
    expect(decide(container(young), rules()).action).toBe('remove');
  });

  it('keeps a live session (client alive) however old, and says which pid', () => {
    const decision = decide(container(labels({ pid: LIVE_PID, startTime: '777' })), rules());
    expect(decision).toMatchObject({ action: 'keep', reason: expect.stringMatching(/live session of pid 100/) });
  });

  it('keeps labels inherited from the image, even with --all', () => {
    const l = labels();
    const facts = container(l, { imageLabels: { ...l } });
    expect(decide(facts, rules())).toMatchObject({ action: 'keep', ownership: 'inherited' });
    expect(decide(facts, rules(true))).toMatchObject({ action: 'keep', ownership: 'inherited' });
    expect(decide(container(l, { imageLabels: undefined }), rules(true)).action).toBe('keep');
    const fromLabel = { 'io.sidekick.session': 'x', 'io.sidekick.kind': 'sidekick' };
    expect(decide(container(fromLabel, { imageLabels: fromLabel }), rules(true))).toMatchObject({ action: 'keep', reason: expect.stringMatching(/come from its image/) });
  });

  it('treats a copy whose image sidekick removed on purpose as its own, and only that one', () => {
    const l = labels({}, { kind: 'copy' });
    expect(decide(container(l, { imageLabels: undefined, madeFromRemovedSnapshot: true }), rules())).toMatchObject({ action: 'remove', ownership: 'mine' });
    expect(decide(container(l, { imageLabels: undefined, madeFromRemovedSnapshot: false }), rules(true))).toMatchObject({ action: 'keep', ownership: 'inherited' });
  });

  it('keeps objects with only the session labels (docker run --label, an image LABEL), even with --all', () => {
    const forged = { 'io.sidekick.session': 'x', 'io.sidekick.kind': 'sidekick', 'io.sidekick.created': '2000-01-01T00:00:00Z' };
    expect(decide(container(forged), rules(true))).toMatchObject({ action: 'keep', ownership: 'unmarked' });
  });

  it('keeps a mark made with another key (another machine or user) unless --all', () => {
    const foreign = labels({}, {}, randomBytes(32));
    expect(decide(container(foreign), rules())).toMatchObject({ action: 'keep', ownership: 'foreign', reason: expect.stringMatching(/not created by sidekick for this user on this machine/) });
    expect(decide(container(foreign), rules(true))).toMatchObject({ action: 'remove', ownership: 'foreign' });
  });

  it('keeps a mark whose labels were changed', () => {
    const l = labels();
    expect(decide(container({ ...l, 'io.sidekick.session': 'other' }), rules())).toMatchObject({ action: 'keep', ownership: 'foreign' });
  });

  it('keeps a kept (--keep) session whose client is gone, unless --all', () => {
    expect(decide(container(labels(), { keptOnPurpose: true }), rules())).toMatchObject({ action: 'keep', reason: expect.stringMatching(/--keep/) });
    expect(decide(container(labels(), { keptOnPurpose: true }), rules(true)).action).toBe('remove');
  });

  it('keeps a detached (exec -d) session whose client is gone, unless --all', () => {
    expect(decide(container(labels()), rules()).action).toBe('remove');
    expect(decide(container(labels(), { detached: true }), rules())).toMatchObject({ action: 'keep', reason: 'detached on purpose (exec -d); prune --all removes it' });
    expect(decide(container(labels(), { detached: true }), rules(true)).action).toBe('remove');
  });

  it('keeps a client on another machine unless --all, and says so', () => {
    const l = labels({ machine: '9999888877776666' });
    expect(decide(container(l), rules())).toMatchObject({ action: 'keep', client: { state: 'unknown' }, reason: expect.stringMatching(/another machine.*--all/) });
    expect(decide(container(l), rules(true)).action).toBe('remove');
  });

  it('with --all, still leaves what may be starting now, and a missing or unreadable creation time is not old', () => {
    const young = labels({ pid: LIVE_PID, startTime: '777' }, { created: new Date(NOW - 5_000) });
    expect(decide(container(young), rules(true))).toMatchObject({ action: 'keep', reason: expect.stringMatching(/created 5 s ago/) });
    const old = labels({ pid: LIVE_PID, startTime: '777' });
    expect(decide(container(old), rules(true))).toMatchObject({ action: 'remove', reason: expect.stringMatching(/--all: live session of pid 100/) });
    const foreignNoTime = { ...labels({}, {}, randomBytes(32)), 'io.sidekick.created': 'yesterday' };
    expect(decide(container(foreignNoTime), rules(true))).toMatchObject({ action: 'keep', reason: expect.stringMatching(/no readable creation time/) });
  });

  describe('images', () => {
    const snapshot = (l: Record<string, string>, extra: Partial<ObjectFacts> = {}): ObjectFacts => ({ type: 'image', labels: l, snapshotTagged: true, usedBy: [], ...extra });
    const copyLabels = (client: Partial<ClientId> = {}): Record<string, string> => labels(client, { kind: 'copy' });

    it('removes the snapshot of a session whose client is gone', () => {
      expect(decide(snapshot(copyLabels()), rules()).action).toBe('remove');
    });

    it('keeps the snapshot of a live session quietly (no failure), however old', () => {
      expect(decide(snapshot(copyLabels({ pid: LIVE_PID, startTime: '777' })), rules())).toMatchObject({ action: 'keep', reason: expect.stringMatching(/live session/) });
    });

    it('keeps a snapshot a container still uses, even with --all', () => {
      expect(decide(snapshot(copyLabels(), { usedBy: ['someone'] }), rules(true))).toMatchObject({ action: 'keep', reason: 'in use by container someone' });
    });

    it('keeps images that are not the snapshot sidekick made: other kinds, or built from a snapshot under another name', () => {
      expect(decide(snapshot(labels()), rules(true))).toMatchObject({ action: 'keep', ownership: 'not-a-snapshot' });
      expect(decide(snapshot(copyLabels(), { snapshotTagged: false }), rules(true))).toMatchObject({ action: 'keep', ownership: 'not-a-snapshot' });
    });
  });

  it('marks carry the client and verify only on the object they were made for', () => {
    const a = labels();
    const b = labels();
    expect(a[LABEL_OWNER]).not.toBe(b[LABEL_OWNER]);
    expect(a['io.sidekick.client']).toBe(`${local.machine}.${local.boot}.${local.pidNamespace}/${DEAD_PID}/555`);
    // A container whose image carries another object's mark is still judged by its own.
    expect(decide(container(a, { imageLabels: b }), rules()).ownership).toBe('mine');
  });
});
