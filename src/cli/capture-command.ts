/**
 * `sidekick capture T [-i IFACE] [-c N] [-w FILE|-] [FILTER…]`: tcpdump, from a toolbox built
 * here of Debian's package, in the target's network namespace; the pcap comes back byte for
 * byte over the sidekick's output stream. Ctrl-C stops the sidekick the graceful way (the
 * engine's stop: tcpdump gets TERM, writes what it holds and exits), and the CLI waits for the
 * last byte before it syncs the file and exits 0, as tcpdump does when it is interrupted. A
 * second Ctrl-C stops waiting (130); what had arrived is kept. See docs/RELIABILITY.md, "capture".
 */
import { SidekickError, isSidekickError } from '../core/errors.js';
import { CAPTURE_ACCOUNT_FILES, CAPTURE_TOOLS, tcpdumpCommand, type CaptureOptions } from '../core/capture-command-line.js';
import { startExecSession, type ExecSession } from '../debug/exec-session.js';
import { stopSession } from '../debug/sidekick-launch.js';
import { captureSink, checkDestination, type CaptureSink } from './capture-destination.js';
import { deferSignals, SIGNAL_STATUS } from './deferred-signals.js';
import { connectEngineFor, type GlobalFlags } from './engine-from-flags.js';
import { optionalCapability } from '../engines/capabilities.js';
import { packageBuildReporter } from './toolbox-progress.js';

export interface CaptureFlags {
  interface?: string;
  count?: number;
  write?: string;
  /** A toolbox image with tcpdump on its PATH, instead of the package toolbox. */
  image?: string;
}

/** `sidekick capture`: returns the status to exit with. */
export async function runCapture(target: string, filter: string[], flags: CaptureFlags, global: GlobalFlags): Promise<number> {
  const destination = flags.write;
  if (destination !== undefined) await checkDestination(destination);
  const options: CaptureOptions = {
    pcap: destination !== undefined,
    filter,
    ...(flags.interface !== undefined ? { interface: flags.interface } : {}),
    ...(flags.count !== undefined ? { count: flags.count } : {}),
  };
  const engine = await connectEngineFor(target, global);
  if (flags.image === undefined && optionalCapability(engine, 'images') === undefined) {
    engine.close();
    // The package toolbox is built on the engine, which a cluster cannot do: it pulls images.
    throw new SidekickError('ENGINE_UNSUPPORTED', `capture on the ${engine.kind} engine needs --image: an image it can pull with tcpdump, sh and tar on its PATH.`, {
      hint: `For example: sidekick capture --image nicolaka/netshoot ${target} (the toolbox with tcpdump is built only on an engine that keeps images, such as Docker).`,
    });
  }
  let session: ExecSession;
  const setup = deferSignals();
  try {
    session = await startExecSession(
      engine,
      {
        target,
        command: tcpdumpCommand(options),
        tty: false,
        interactive: false,
        // The toolbox's own root: tcpdump needs nothing of the target's files, and a hostile
        // target's ld.so.preload or nsswitch.conf then have no say (docs/ARCHITECTURE.md).
        chroot: false,
        ...(flags.image !== undefined ? { image: flags.image } : { tools: CAPTURE_TOOLS }),
        privileged: false,
        // In the default set of docker, not of every engine (podman drops it).
        capAdd: ['NET_RAW'],
        env: [],
        keep: false,
        announce: false,
        files: CAPTURE_ACCOUNT_FILES.map((file) => ({ name: file.name, type: 'file' as const, mode: 0o644, content: Buffer.from(file.content) })),
      },
      process.env,
      packageBuildReporter(global.debug === true),
    );
  } catch (error) {
    setup.release();
    engine.close();
    if (isSidekickError(error) && error.code === 'TARGET_NOT_FOUND') {
      throw new SidekickError('TARGET_NOT_FOUND', error.message, { hint: 'capture needs a running container: its network namespace is where tcpdump runs.' });
    }
    throw error;
  }
  const early = setup.release();
  if (early !== undefined) {
    await session.dispose().catch(() => undefined);
    engine.close();
    return SIGNAL_STATUS[early] ?? 130;
  }
  try {
    const status = await pumpCapture(session, destination === undefined ? passThroughSink() : captureSink(destination), () => stopSession(engine, session.sidekickId));
    if (status === 127 && flags.image !== undefined) {
      process.stderr.write(`sidekick: ${flags.image} has no tcpdump on its PATH; without --image, capture uses one built here from Debian's package.\n`);
    }
    return status;
  } finally {
    await session.dispose().catch(() => undefined);
    engine.close();
  }
}

/**
 * Runs the capture to its end: tcpdump's own (-c, an error), or a signal's. Returns tcpdump's
 * status, 0 after a clean stop asked for by a signal, 128+N when the wait was cut short.
 */
async function pumpCapture(session: ExecSession, sink: CaptureSink, stopGracefully: () => Promise<void>): Promise<number> {
  const process_ = session.process;
  let stopping: NodeJS.Signals | undefined;
  let abandoned: ((status: number) => void) | undefined;
  const cutShort = new Promise<number>((resolve) => (abandoned = resolve));
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping === undefined) {
      stopping = signal;
      void stopGracefully().catch(() => undefined);
      return;
    }
    process.stderr.write('sidekick: not waiting for the rest of the capture; the file keeps what had arrived.\n');
    abandoned?.(SIGNAL_STATUS[signal] ?? 130);
  };
  let sinkFailure: Error | undefined;
  const onSinkError = (error: Error): void => {
    sinkFailure ??= error;
    process_.stdout.unpipe();
    process_.stdout.resume();
    // A reader gone (`| head`, wireshark closed) ends the capture as a broken pipe would.
    void stopGracefully().catch(() => undefined);
  };
  const onStdoutError = (error: Error): void => onSinkError(error);
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of signals) process.on(signal, onSignal);
  process.stdout.on('error', onStdoutError);
  sink.stream.on('error', onSinkError);
  const stdoutDone = new Promise<void>((resolve) => {
    process_.stdout.pipe(sink.stream, { end: false });
    process_.stdout.once('end', resolve);
  });
  process_.stderr.pipe(process.stderr, { end: false });
  try {
    const ended = process_.exit.then(async (status) => {
      await stdoutDone;
      return status.code;
    });
    let cut = false;
    let status: number;
    try {
      status = await Promise.race([
        ended,
        cutShort.then((code) => {
          cut = true;
          return code;
        }),
      ]);
    } catch (error) {
      // The engine went away mid-capture: what arrived is still synced and closed.
      await sink.finish().catch(() => undefined);
      throw error;
    }
    // The rest is not waited for: closing the connection ends the streams now.
    if (cut) process_.detach();
    await sink.finish().catch((error: Error) => {
      sinkFailure ??= error;
    });
    if (sinkFailure !== undefined) {
      if (isBrokenPipe(sinkFailure)) return 141;
      throw new SidekickError('CAPTURE_WRITE_FAILED', `writing the capture failed: ${sinkFailure.message}`, { hint: 'Check the destination (space, permissions) and capture again.' });
    }
    // tcpdump ends with 0 when it is interrupted; a status of the signal means it did not get to write its end.
    if (stopping !== undefined && status === 0) return 0;
    return status;
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    process.stdout.off('error', onStdoutError);
  }
}

function isBrokenPipe(error: Error): boolean {
  return (error as NodeJS.ErrnoException).code === 'EPIPE' || (error as NodeJS.ErrnoException).code === 'ERR_STREAM_DESTROYED';
}

/** Without -w: tcpdump's decoded lines, straight to stdout. */
function passThroughSink(): CaptureSink {
  return captureSink('-');
}
