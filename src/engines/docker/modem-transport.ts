/**
 * The real transport (transport.ts): docker-modem, set up for the endpoint (a Unix socket,
 * TCP with or without TLS, or an SSH tunnel to the remote engine's socket).
 */
import { readFileSync } from 'node:fs';
import { Agent, type AgentOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import Modem from 'docker-modem';
import { SidekickError } from '../../core/errors.js';
import type { Endpoint, TlsChoice, TlsFile } from './endpoint.js';
import { openSshTunnel, type SshTunnel } from './ssh-tunnel.js';
import type { Transport } from './transport.js';

/** The API version sidekick speaks; Docker 20.10 (Debian 12's docker.io) is the oldest engine it needs. */
export const API_VERSION = 'v1.41';

/**
 * Nothing is opened until the first request: at once for sockets and tcp://, after the login
 * for ssh://. A failure to set up (a TLS file that cannot be read, a refused login) fails that
 * request, and every later one.
 */
export function modemTransport(endpoint: Endpoint): Transport {
  let modem: Promise<Modem> | undefined;
  let tunnel: Promise<SshTunnel> | undefined;
  let openTunnel: SshTunnel | undefined;
  const ready = (): Promise<Modem> => {
    if (modem === undefined) {
      if (endpoint.url.startsWith('ssh://')) {
        tunnel = openSshTunnel(endpoint);
        modem = tunnel.then((open) => {
          openTunnel = open;
          return new Modem(modemOptions({ url: `unix://${open.socketPath}`, source: endpoint.source }));
        });
      } else {
        try {
          modem = Promise.resolve(new Modem(modemOptions(endpoint)));
        } catch (error) {
          modem = Promise.reject(error as Error);
        }
      }
      modem.catch(() => undefined);
    }
    return modem;
  };
  return {
    dial(request, callback) {
      ready()
        .then((ready) => ready.dial(request as unknown as Modem.DialOptions, callback))
        // docker-modem throws outside any callback on some answers (a redirect): that fails the call too.
        .catch((error: Error) => callback(error, undefined));
    },
    tunnel: () => openTunnel,
    close() {
      // docker-modem keeps no pooled connections of its own; an ssh:// engine's connection ends here.
      void tunnel?.then((open) => open.close(), () => undefined);
    },
  };
}

/**
 * Node's global agent, but with no TLS server name to work out: there is none on a Unix socket,
 * and working it out tests the host name against Node's IPv6 pattern, whose first use costs
 * ≈5 ms on the way of every command's first request (docs/BENCHMARKS.md).
 */
function socketAgent(): Agent {
  return new Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5_000, servername: '' } as AgentOptions);
}

/** The CA, certificate and key read for a TLS endpoint; a file that cannot be read is named with where its path came from. */
function tlsOptions(endpoint: Endpoint, tls: TlsChoice): Record<string, unknown> {
  const read = (file: TlsFile | undefined, what: string): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file.path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new SidekickError('BAD_USAGE', `cannot use TLS for ${endpoint.url}: the ${what} ${file.path} (from ${file.from}) cannot be read: ${code === 'ENOENT' ? 'no such file' : (code ?? String(error))}.`, {
        hint: 'Point DOCKER_CERT_PATH at the directory holding ca.pem, cert.pem and key.pem, or give --tlscacert, --tlscert and --tlskey.',
      });
    }
  };
  const ca = read(tls.ca, 'CA certificate');
  const cert = read(tls.cert, 'client certificate');
  const key = read(tls.key, 'client key');
  // Without a check (--tls), docker-modem has no switch of its own: an agent carries it.
  if (!tls.verify) return { agent: new HttpsAgent({ rejectUnauthorized: false, ...(cert ? { cert } : {}), ...(key ? { key } : {}) }) };
  return { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

function modemOptions(endpoint: Endpoint): Modem.ConstructorOptions {
  const url = new URL(endpoint.url);
  // Every field is set, so that docker-modem's own reading of DOCKER_HOST cannot leak in.
  const base = { version: API_VERSION, host: undefined, port: undefined, socketPath: undefined } as Record<string, unknown>;
  switch (url.protocol) {
    case 'unix:':
      return { ...base, socketPath: decodeURIComponent(url.pathname), agent: socketAgent() } as Modem.ConstructorOptions;
    default: {
      const secure = endpoint.tls !== undefined || url.protocol === 'https:';
      return {
        ...base,
        ...(endpoint.tls ? tlsOptions(endpoint, endpoint.tls) : {}),
        protocol: secure ? 'https' : 'http',
        host: url.hostname,
        port: url.port || (secure ? 2376 : 2375),
      } as Modem.ConstructorOptions;
    }
  }
}
