/**
 * `sidekick inspect --all` over several engines (`--context a --context b`, `--all-contexts`):
 * every engine is read at the same time, and one that cannot be reached is a row that says
 * why, not a failure of the whole command.
 */
import { isSidekickError } from '../core/errors.js';
import type { ContainerRow } from '../debug/inspect-all.js';
import { DockerEngine } from '../engines/docker/docker-engine.js';
import { resolveEndpoint } from '../engines/docker/endpoint.js';
import type { GlobalFlags } from './engine-from-flags.js';

/** One container of one engine, or an engine that could not be read. */
export type EngineRow = ({ engine: string } & ContainerRow) | { engine: string; error: string };

export async function inspectEngines(contexts: readonly string[], flags: GlobalFlags, env: NodeJS.ProcessEnv): Promise<EngineRow[]> {
  const { inspectAll } = await import('../debug/inspect-all.js');
  const perEngine = await Promise.all(
    contexts.map(async (context): Promise<EngineRow[]> => {
      let engine: DockerEngine | undefined;
      try {
        const endpoint = resolveEndpoint({
          context,
          env,
          tlsFlags: { tls: flags.tls, tlsverify: flags.tlsverify, tlscacert: flags.tlscacert, tlscert: flags.tlscert, tlskey: flags.tlskey },
        });
        if (flags.debug) process.stderr.write(`sidekick: engine ${endpoint.url} (from --context "${context}")\n`);
        engine = new DockerEngine(endpoint);
        const rows = await inspectAll(engine, env);
        return rows.map((row) => ({ engine: context, ...row }));
      } catch (error) {
        return [{ engine: context, error: isSidekickError(error) ? error.message : `unexpected failure: ${(error as Error).message}` }];
      } finally {
        engine?.close();
      }
    }),
  );
  return perEngine.flat();
}
