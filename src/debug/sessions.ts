/**
 * `sidekick sessions`: what sidekick has on the engine right now — containers carrying its
 * session label (sidekicks, copies, forwarders) and injections it left in running containers,
 * found from their manifests (debug/inject/find-injections.ts). On a cluster the engine lists
 * sidekick's running ephemeral containers with the marks they carry, and injections are not
 * looked for (`injections: false`): reading every container's files would add a sidekick to
 * every pod (docs/ARCHITECTURE.md, "Kubernetes engine").
 */
import { LABEL_CLIENT, LABEL_CREATED, LABEL_DETACHED, LABEL_KIND, LABEL_OWNER, LABEL_SESSION, LABEL_TARGET, markedFields } from '../core/labels.js';
import { clientLiveness, type ClientLiveness } from '../core/ownership/client-id.js';
import { localClientHost, readProcStat } from '../core/ownership/local-client.js';
import { verifyingKeys } from '../core/ownership/owner-key.js';
import { isWellFormedMark, verifyOwnerMark } from '../core/ownership/owner-mark.js';
import type { ContainerSummary } from '../core/target.js';
import type { Engine } from '../engines/engine.js';
import { findInjections } from './inject/find-injections.js';
import { keptOnPurpose } from './kept-on-purpose.js';
import { mapLimit } from './map-limit.js';
import { OBJECT_ANSWER_MS, withinTime } from './within-time.js';

export interface SessionContainer {
  session: string;
  kind: string;
  id: string;
  name: string;
  target: string;
  status: string;
  created: string;
  /**
   * Whether the CLI that made it still runs: alive, dead (an orphan, unless kept on purpose),
   * or unknown (another machine, or no client recorded).
   */
  client: ClientLiveness['state'];
  /** The client's pid (alive or dead), or why its state is unknown. */
  clientDetail: string;
  /** Made with --keep (asked only of those whose client is dead). */
  kept: boolean;
  /** Started with exec -d: its client is gone on purpose. */
  detached: boolean;
  /** mine: marked by sidekick for this user on this machine; foreign: another key's mark; unmarked: no mark. */
  owner: 'mine' | 'foreign' | 'unmarked';
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
  /** Running containers the engine did not answer about in time: their injections are not listed. */
  unanswered: Array<{ containerId: string; containerName: string }>;
}

/**
 * Running containers looked into at once: dockerd serves one archive request per container at a
 * time, so the calls queue per container, not behind each other; the bound keeps a busy engine
 * from being flooded (debug/map-limit.ts).
 */
const CONCURRENCY = 16;

export async function listSessions(engine: Engine, options: { injections?: boolean } = {}): Promise<SessionsReport> {
  // The injections are looked for as soon as the running containers are known, while the
  // session containers are described: neither waits for the other. The running list is asked
  // first: the archive stats that follow it are the longer path (docs/BENCHMARKS.md, "sessions").
  const found =
    options.injections === false
      ? Promise.resolve({ injections: [], unanswered: [] })
      : engine.listContainers({ all: false }).then((running) => findAllInjections(engine, running));
  const described = engine.listContainers({ all: true, labels: [LABEL_SESSION] }).then((labelled) => describeSessions(engine, labelled));
  const [containers, { injections, unanswered }] = await Promise.all([described, found]);
  return { containers, injections, unanswered };
}

async function describeSessions(engine: Engine, labelled: readonly ContainerSummary[]): Promise<SessionContainer[]> {
  // The keys and this machine's identity cost a hash module and a few files: only for something to check.
  if (labelled.length === 0) return [];
  const keys = verifyingKeys();
  const local = localClientHost();
  return Promise.all(
    labelled.map(async (c): Promise<SessionContainer> => {
      const client = clientLiveness(c.labels[LABEL_CLIENT], local, readProcStat);
      const mark = c.labels[LABEL_OWNER];
      return {
        session: c.labels[LABEL_SESSION] ?? '',
        kind: c.labels[LABEL_KIND] ?? '',
        id: c.id,
        name: c.names[0] ?? '',
        target: c.labels[LABEL_TARGET] ?? '',
        status: c.status,
        created: c.labels[LABEL_CREATED] ?? '',
        client: client.state,
        clientDetail: client.state === 'unknown' ? client.reason : `pid ${client.pid}`,
        kept: client.state === 'dead' ? (await keptOnPurpose(engine, c)) === true : false,
        detached: c.labels[LABEL_DETACHED] === 'true',
        owner: !isWellFormedMark(mark) ? 'unmarked' : verifyOwnerMark(mark, markedFields(c.labels), keys) ? 'mine' : 'foreign',
      };
    }),
  );
}

async function findAllInjections(engine: Engine, running: readonly ContainerSummary[]): Promise<Pick<SessionsReport, 'injections' | 'unanswered'>> {
  // Sidekicks themselves are never injected into; looking would only cost time.
  const candidates = running.filter((c) => c.labels[LABEL_SESSION] === undefined);
  type Found = Awaited<ReturnType<typeof findInjections>>;
  const found = await mapLimit(candidates, CONCURRENCY, (c) => withinTime(findInjections(engine, c.id), OBJECT_ANSWER_MS).catch((): Found => ({})));
  const injections: InjectionEntry[] = [];
  const unanswered: SessionsReport['unanswered'] = [];
  candidates.forEach((c, i) => {
    const common = { containerId: c.id, containerName: c.names[0] ?? '' };
    const answer = found[i];
    if (answer === undefined) {
      unanswered.push(common);
      return;
    }
    const { toolbox, os, incompleteToolbox } = answer;
    if (os) injections.push({ ...common, kind: 'os', location: '/', source: os.source, createdAt: os.createdAt, sidekickVersion: os.sidekickVersion, state: 'injected' });
    for (const [manifest, state] of [[toolbox, 'injected'], [incompleteToolbox, 'incomplete']] as const) {
      if (!manifest) continue;
      injections.push({ ...common, kind: 'toolbox', location: manifest.prefix, source: manifest.source, createdAt: manifest.createdAt, sidekickVersion: manifest.sidekickVersion, state });
    }
  });
  return { injections, unanswered };
}
