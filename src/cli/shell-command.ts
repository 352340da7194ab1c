import { parsePrefix } from '../core/inject/container-path.js';
import { startShell } from '../debug/inject/shell-session.js';
import { terminalModes } from './terminal-modes.js';
import { connectEngine, type GlobalFlags } from './engine-from-flags.js';
import { pumpTerminal } from './terminal.js';

export interface ShellFlags {
  root?: boolean;
  interactive?: boolean;
  tty?: boolean;
  prefix: string[];
}

/** `sidekick shell`: the shell's own exit status, or 125 when sidekick fails. */
export async function runShell(reference: string, command: string[], flags: ShellFlags, global: GlobalFlags): Promise<number> {
  const { interactive, tty } = terminalModes(flags, command, process.stdin.isTTY === true);
  const { engine } = connectEngine(global);
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
    return await pumpTerminal(session.process, {
      tty,
      interactive,
      onTerminate: async (signal) => {
        session.process.stdin?.end();
        await session.signal(signal === 'SIGHUP' ? 'HUP' : signal === 'SIGINT' ? 'INT' : 'TERM');
      },
    });
  } finally {
    engine.close();
  }
}
