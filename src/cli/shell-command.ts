import { parsePrefix } from '../core/inject/container-path.js';
import { startShell } from '../debug/inject/shell-session.js';
import { terminalModes } from './terminal-modes.js';
import { connectEngineFor, type GlobalFlags } from './engine-from-flags.js';
import { pumpTerminal } from './terminal.js';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from './detach-keys.js';

export interface ShellFlags {
  root?: boolean;
  interactive?: boolean;
  tty?: boolean;
  prefix: string[];
}

/** `sidekick shell`: the shell's own exit status, or 125 when sidekick fails. */
export async function runShell(reference: string, command: string[], flags: ShellFlags, global: GlobalFlags): Promise<number> {
  const { interactive, tty } = terminalModes(flags, command, process.stdin.isTTY === true);
  const engine = await connectEngineFor(reference, global);
  let release: (() => Promise<void>) | undefined;
  try {
    const session = await startShell(engine, {
      target: reference,
      command,
      root: flags.root ?? false,
      tty,
      interactive,
      prefixes: flags.prefix.map(parsePrefix),
      ...(process.env.TERM !== undefined ? { term: process.env.TERM } : {}),
    });
    release = session.release;
    const end = async (signal: 'HUP' | 'INT' | 'TERM'): Promise<void> => {
      session.process.stdin?.end();
      await session.signal(signal);
    };
    return await pumpTerminal(session.process, {
      tty,
      interactive,
      onTerminate: (signal) => end(signal === 'SIGHUP' ? 'HUP' : signal === 'SIGINT' ? 'INT' : 'TERM'),
      // The engine watches an exec's input for its default keys; catching them here keeps the CLI
      // from waiting on a detached exec, which nothing could attach to again.
      detach: {
        keys: parseDetachKeys(DEFAULT_DETACH_KEYS),
        onDetach: async () => {
          await end('HUP');
          process.stderr.write(`\nsidekick: detached (${DEFAULT_DETACH_KEYS}); the shell was ended.\nAn exec cannot be attached to again; start another with: sidekick shell ${session.target.name}\n`);
          return 0;
        },
      },
    });
  } finally {
    await release?.();
    engine.close();
  }
}
