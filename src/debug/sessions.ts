/**
 * `sidekick sessions`: what sidekick has on the engine right now — containers carrying its
 * session label (sidekicks, copies, forwarders) and injections it left in running containers,
 * found from their manifests (debug/inject/find-injections.ts).
 */
import { LABEL_CREATED, LABEL_KIND, LABEL_SESSION, LABEL_TARGET } from '../core/labels.js';
import type { Engine } from '../engines/engine.js';
import { findInjections } from './inject/find-injections.js';

export interface SessionContainer {
  session: string;
  kind: string;
  id: string;
  name: string;
  target: string;
  status: string;
  created: string;
}

export interface InjectionEntry {
  kind: 'toolbox' | 'os';
  containerId: string;
  containerName: string;
  /** The toolbox's prefix, or "/" for an OS. */
  location: string;
  source: string;
  createdAt: string;
  sidekickVersion: string;
  /** `incomplete`: an injection that was interrupted (sidekick eject removes it). */
  state: 'injected' | 'incomplete';
}

export interface SessionsReport {
  containers: SessionContainer[];
  injections: InjectionEntry[];
  /** Running containers whose files the engine did not let us read in time (it holds a container while an upload into it runs). */
  unanswered: Array<{ containerId: string; containerName: string }>;
}

/** How long one container's manifests may take: one container held by another client must not hang the listing. */
const PROBE_TIMEOUT_MS = 5_000;

const CONCURRENCY = 8;

export async function listSessions(engine: Engine): Promise<SessionsReport> {
  const [labelled, running] = await Promise.all([
    engine.listContainers({ all: true, labels: [LABEL_SESSION] }),
    engine.listContainers({ all: false }),
  ]);
  const containers = labelled.map((c) => ({
    session: c.labels[LABEL_SESSION] ?? '',
    kind: c.labels[LABEL_KIND] ?? '',
    id: c.id,
    name: c.names[0] ?? '',
    target: c.labels[LABEL_TARGET] ?? '',
    status: c.status,
    created: c.labels[LABEL_CREATED] ?? '',
  }));
  // Sidekicks themselves are never injected into; looking would only cost time.
  const candidates = running.filter((c) => c.labels[LABEL_SESSION] === undefined);
  const injections: InjectionEntry[] = [];
  const unanswered: SessionsReport['unanswered'] = [];
  for (let i = 0; i < candidates.length; i += CONCURRENCY) {
    const batch = candidates.slice(i, i + CONCURRENCY);
    const found = await Promise.all(batch.map((c) => withinTime(findInjections(engine, c.id).catch(() => ({}) as Awaited<ReturnType<typeof findInjections>>))));
    batch.forEach((c, j) => {
      const answer = found[j];
      if (answer === undefined) {
        unanswered.push({ containerId: c.id, containerName: c.names[0] ?? '' });
        return;
      }
      const { toolbox, os, incompleteToolbox } = answer;
      const common = { containerId: c.id, containerName: c.names[0] ?? '' };
      if (os) injections.push({ ...common, kind: 'os', location: '/', source: os.source, createdAt: os.createdAt, sidekickVersion: os.sidekickVersion, state: 'injected' });
      for (const [manifest, state] of [[toolbox, 'injected'], [incompleteToolbox, 'incomplete']] as const) {
        if (!manifest) continue;
        injections.push({ ...common, kind: 'toolbox', location: manifest.prefix, source: manifest.source, createdAt: manifest.createdAt, sidekickVersion: manifest.sidekickVersion, state });
      }
    });
  }
  return { containers, injections, unanswered };
}

function withinTime<T>(work: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), PROBE_TIMEOUT_MS);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
