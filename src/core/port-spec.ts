import { isIP } from 'node:net';
import { SidekickError } from './errors.js';

export type Protocol = 'tcp' | 'udp';

/** One `[[LOCAL_HOST:]LOCAL_PORT:]REMOTE_PORT[/udp]` argument of `sidekick port-forward`. */
export interface PortSpec {
  /** An IP literal to listen on (IPv6 without brackets). */
  localHost: string;
  /** 0 asks the system for a free port. */
  localPort: number;
  remotePort: number;
  protocol: Protocol;
}

const DEFAULT_HOST = '127.0.0.1';

/**
 * Parses the port arguments. Without LOCAL_PORT the local port equals the remote one
 * (kubectl's convention), `:REMOTE` or `0:REMOTE` picks a free local port, and an IPv6
 * host is written in brackets (`[::1]:8080:80`). Hosts are IP literals or `localhost`
 * (taken as 127.0.0.1): a name that resolves to several addresses would make "where am I
 * listening" a guess.
 */
export function parsePortSpecs(args: readonly string[]): PortSpec[] {
  if (args.length === 0) {
    throw new SidekickError('BAD_USAGE', 'no port to forward.', { hint: 'Give at least one [[LOCAL_HOST:]LOCAL_PORT:]REMOTE_PORT, e.g. 8080 or 0:80.' });
  }
  const specs = args.map(parsePortSpec);
  const seen = new Set<string>();
  for (const spec of specs) {
    if (spec.localPort === 0) continue; // every free port is a different one
    // TCP and UDP have ports of their own: 53 and 53/udp are two.
    const key = `${spec.localHost}|${spec.localPort}|${spec.protocol}`;
    if (seen.has(key)) {
      throw new SidekickError('BAD_USAGE', `local port ${formatHostPort(spec.localHost, spec.localPort)}${spec.protocol === 'udp' ? '/udp' : ''} is given twice.`, {
        hint: 'Each local port can forward to one remote port; use 0 for a free one.',
      });
    }
    seen.add(key);
  }
  return specs;
}

export function parsePortSpec(arg: string): PortSpec {
  const bad = (why: string): SidekickError =>
    new SidekickError('BAD_USAGE', `"${arg}" is not a port to forward: ${why}.`, {
      hint: 'Write [[LOCAL_HOST:]LOCAL_PORT:]REMOTE_PORT[/udp], e.g. 8080, 9000:80, 0:80, 127.0.0.1:9000:80 or 5353:53/udp.',
    });
  // A protocol suffix as docker's -p writes it: /tcp (the default) or /udp.
  const suffix = /\/(tcp|udp)$/i.exec(arg);
  const protocol: Protocol = suffix?.[1]?.toLowerCase() === 'udp' ? 'udp' : 'tcp';
  return { ...parseAddresses(suffix ? arg.slice(0, suffix.index) : arg, bad), protocol };
}

function parseAddresses(text: string, bad: (why: string) => SidekickError): Omit<PortSpec, 'protocol'> {
  let host = DEFAULT_HOST;
  let rest = text;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') throw bad('an IPv6 host is written [ADDRESS]:LOCAL_PORT:REMOTE_PORT');
    host = rest.slice(1, close);
    if (isIP(host) !== 6) throw bad(`${host} is not an IPv6 address`);
    rest = rest.slice(close + 2);
    const parts = rest.split(':');
    if (parts.length !== 2) throw bad('with a host, both LOCAL_PORT and REMOTE_PORT are needed');
    return { localHost: host, localPort: port(parts[0]!, 'local', true, bad), remotePort: port(parts[1]!, 'remote', false, bad) };
  }
  const parts = rest.split(':');
  if (parts.length > 3) throw bad('too many colons (write an IPv6 host in brackets)');
  if (parts.length === 3) {
    const given = parts[0]!;
    host = given === 'localhost' ? DEFAULT_HOST : given;
    if (isIP(host) === 0) throw bad(`${given} is not an IP address`);
  }
  const remotePort = port(parts[parts.length - 1]!, 'remote', false, bad);
  if (parts.length === 1) return { localHost: host, localPort: remotePort, remotePort };
  const localText = parts[parts.length - 2]!;
  // ":80" asks for a free local port, as kubectl's port-forward allows.
  const localPort = localText === '' && parts.length === 2 ? 0 : port(localText, 'local', true, bad);
  return { localHost: host, localPort, remotePort };
}

function port(text: string, which: 'local' | 'remote', zeroAllowed: boolean, bad: (why: string) => SidekickError): number {
  if (!/^\d{1,5}$/.test(text)) throw bad(text === '' ? `the ${which} port is missing` : `${which} port "${text}" is not a number`);
  const value = Number(text);
  if (value > 65535 || (value === 0 && !zeroAllowed)) throw bad(`${which} port ${value} is out of range (${zeroAllowed ? 0 : 1}-65535)`);
  return value;
}

/** `53`, `53/udp`: a remote port as the CLI shows it. */
export function formatPort(port: number, protocol: Protocol): string {
  return protocol === 'udp' ? `${port}/udp` : String(port);
}

/** `127.0.0.1:8080`, `[::1]:8080`. */
export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
