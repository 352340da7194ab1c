import { formatHostPort, formatPort, parsePortSpecs } from '../core/port-spec.js';
import { startPortForward } from '../debug/port-forward/port-forward-session.js';
import { connectEngineFor, type GlobalFlags } from './engine-from-flags.js';
import { nativeHelper } from './native-helper.js';

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/** The relay built beside the CLI (dist/sidekick-relay); SIDEKICK_RELAY names another one, or "off". */
function relayOption(): { relayBinary?: string } {
  const path = nativeHelper('sidekick-relay', 'SIDEKICK_RELAY');
  return path === undefined ? {} : { relayBinary: path };
}

/** `sidekick port-forward`: runs until a signal (then 128+N) or until the target is gone (125). */
export async function runPortForward(target: string, ports: string[], global: GlobalFlags): Promise<number> {
  const specs = parsePortSpecs(ports);
  // Signals are caught from the start: one that arrives while the forwarder is being
  // started must still end with the forwarder removed, not with a half-made session.
  let terminatedBy: NodeJS.Signals | undefined;
  let close: (() => Promise<void>) | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (terminatedBy) return;
    terminatedBy = signal;
    void close?.();
  };
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, onSignal);

  const engine = await connectEngineFor(target, global);
  try {
    const session = await startPortForward(engine, { target, ports: specs, ...relayOption() }, process.env, {
      onToolboxBuild: (source) => process.stderr.write(`sidekick: preparing the toolbox image from ${source} (once)\n`),
      onNotice: (message) => process.stderr.write(`sidekick: ${message}\n`),
      ...(global.debug ? { onDebug: (message: string) => process.stderr.write(`sidekick: ${message}\n`) } : {}),
    });
    close = () => session.close();
    if (terminatedBy) await session.close();
    else {
      for (const forward of session.forwards) {
        process.stdout.write(`Forwarding ${formatHostPort(forward.localHost, forward.localPort)} -> ${session.target.name}:${formatPort(forward.remotePort, forward.protocol)}\n`);
      }
    }
    await session.ended;
    return terminatedBy ? 128 + (SIGNAL_NUMBERS[terminatedBy] ?? 1) : 0;
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    engine.close();
  }
}
