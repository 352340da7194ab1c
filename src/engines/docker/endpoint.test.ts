import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { normalizeHostUrl, resolveEndpoint, tlsChoice } from './endpoint.js';

const home = '/home/u';
const metaPath = (name: string): string =>
  `${home}/.docker/contexts/meta/${createHash('sha256').update(name).digest('hex')}/meta.json`;

function files(entries: Record<string, string>): (path: string) => string | undefined {
  return (path) => entries[path];
}

describe('resolveEndpoint', () => {
  const remote = { Name: 'remote', Endpoints: { docker: { Host: 'ssh://me@build-box', SkipTLSVerify: false } } };

  it('refuses --host with --context, and lets an explicit --context win over DOCKER_HOST, as the docker CLI does', () => {
    const readFile = files({ [metaPath('remote')]: JSON.stringify(remote) });
    expect(() => resolveEndpoint({ host: 'unix:///run/x.sock', context: 'remote', env: {}, readFile, home })).toThrow(
      /conflicting options: cannot specify both --host and --context/,
    );
    const env = { DOCKER_HOST: 'tcp://127.0.0.1:2375' };
    expect(resolveEndpoint({ context: 'remote', env, readFile, home })).toMatchObject({ url: 'ssh://me@build-box', source: '--context' });
    expect(() => resolveEndpoint({ context: 'gone', env, readFile, home })).toThrow(/docker context "gone" \(from --context\) does not exist/);
    // docker's "default" context is whatever DOCKER_HOST says, else the default socket.
    expect(resolveEndpoint({ context: 'default', env, readFile, home })).toMatchObject({ url: 'tcp://127.0.0.1:2375', context: 'default' });
    expect(resolveEndpoint({ context: 'default', env: {}, readFile, home })).toMatchObject({ url: 'unix:///var/run/docker.sock' });
  });

  it('prefers --host, then DOCKER_HOST, then --context, DOCKER_CONTEXT, the current context, the default socket', () => {
    const readFile = files({
      [`${home}/.docker/config.json`]: JSON.stringify({ currentContext: 'remote' }),
      [metaPath('remote')]: JSON.stringify(remote),
      [metaPath('other')]: JSON.stringify({ Endpoints: { docker: { Host: 'tcp://10.0.0.9:2375' } } }),
    });
    const env = { DOCKER_HOST: 'tcp://127.0.0.1:2375', DOCKER_CONTEXT: 'other' };
    expect(resolveEndpoint({ host: 'unix:///run/x.sock', env, readFile, home })).toMatchObject({ url: 'unix:///run/x.sock', source: '--host' });
    expect(resolveEndpoint({ env, readFile, home })).toMatchObject({ url: 'tcp://127.0.0.1:2375', source: 'DOCKER_HOST' });
    expect(resolveEndpoint({ context: 'remote', env: { DOCKER_CONTEXT: 'other' }, readFile, home })).toMatchObject({
      url: 'ssh://me@build-box',
      source: '--context',
      context: 'remote',
    });
    expect(resolveEndpoint({ env: { DOCKER_CONTEXT: 'other' }, readFile, home })).toMatchObject({ url: 'tcp://10.0.0.9:2375', source: 'DOCKER_CONTEXT' });
    expect(resolveEndpoint({ env: {}, readFile, home })).toMatchObject({ url: 'ssh://me@build-box', source: 'current context' });
    expect(resolveEndpoint({ env: {}, readFile: files({}), home })).toEqual({ url: 'unix:///var/run/docker.sock', source: 'default socket' });
  });

  it('treats the "default" context as the default socket and honours DOCKER_CONFIG', () => {
    const readFile = files({ '/cfg/config.json': JSON.stringify({ currentContext: 'default' }) });
    expect(resolveEndpoint({ env: { DOCKER_CONFIG: '/cfg' }, readFile, home })).toMatchObject({ source: 'default socket' });
  });

  it('carries on past a config.json that is not JSON, as the docker CLI does', () => {
    const readFile = files({ [`${home}/.docker/config.json`]: '{ not json' });
    expect(resolveEndpoint({ env: {}, readFile, home }).source).toBe('default socket');
  });

  it('names a missing context and what to do', () => {
    expect(() => resolveEndpoint({ context: 'gone', env: {}, readFile: files({}), home })).toThrow(/docker context "gone" \(from --context\) does not exist/);
  });

  it('finds the TLS material of a context and of DOCKER_TLS_VERIFY', () => {
    const digest = createHash('sha256').update('secure').digest('hex');
    const readFile = files({
      [metaPath('secure')]: JSON.stringify({ Endpoints: { docker: { Host: 'tcp://h:2376' } } }),
      [`${home}/.docker/contexts/tls/${digest}/docker/ca.pem`]: 'CA',
    });
    expect(resolveEndpoint({ context: 'secure', env: {}, readFile, home }).tlsDir).toBe(`${home}/.docker/contexts/tls/${digest}/docker`);
    expect(resolveEndpoint({ env: { DOCKER_HOST: 'tcp://h:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/certs' } }).tlsDir).toBe('/certs');
  });
});

describe('tlsChoice', () => {
  const dir = '/home/u/.docker';
  it('is off unless --tls, --tlsverify, DOCKER_TLS or DOCKER_TLS_VERIFY asks for it', () => {
    expect(tlsChoice({ tlscacert: '/ca.pem' }, {}, dir, files({}))).toEqual({});
    expect(tlsChoice({}, { DOCKER_TLS_VERIFY: '0' }, dir, files({}))).toEqual({});
    expect(tlsChoice({}, { DOCKER_TLS: '1' }, dir, files({})).tls).toEqual({ verify: false });
  });

  it('takes each file from its flag, else from DOCKER_CERT_PATH, leaving out a client certificate that is not there', () => {
    const readFile = files({ '/certs/cert.pem': 'C', '/certs/key.pem': 'K' });
    expect(tlsChoice({ tlsverify: true, tlscacert: '/mine/ca.pem' }, { DOCKER_CERT_PATH: '/certs' }, dir, readFile).tls).toEqual({
      verify: true,
      ca: { path: '/mine/ca.pem', from: '--tlscacert' },
      cert: { path: '/certs/cert.pem', from: 'DOCKER_CERT_PATH' },
      key: { path: '/certs/key.pem', from: 'DOCKER_CERT_PATH' },
    });
    // The CA is needed to verify even when absent, so that its absence is named.
    expect(tlsChoice({}, { DOCKER_TLS_VERIFY: '1' }, dir, files({})).tls).toEqual({ verify: true, ca: { path: `${dir}/ca.pem`, from: 'the docker config directory' } });
  });

  it("reads a context's TLS store, verifying unless the context skips it", () => {
    const digest = createHash('sha256').update('skip').digest('hex');
    const store = `${home}/.docker/contexts/tls/${digest}/docker`;
    const readFile = files({
      [metaPath('skip')]: JSON.stringify({ Endpoints: { docker: { Host: 'tcp://h:2376', SkipTLSVerify: true } } }),
      [`${store}/cert.pem`]: 'C',
      [`${store}/key.pem`]: 'K',
    });
    expect(resolveEndpoint({ context: 'skip', env: {}, readFile, home }).tls).toMatchObject({ verify: false, cert: { path: `${store}/cert.pem` } });
  });
});

describe('normalizeHostUrl', () => {
  it('accepts what docker accepts', () => {
    expect(normalizeHostUrl('/var/run/docker.sock')).toBe('unix:///var/run/docker.sock');
    expect(normalizeHostUrl('127.0.0.1:2375')).toBe('tcp://127.0.0.1:2375');
    expect(normalizeHostUrl('ssh://u@h:2222')).toBe('ssh://u@h:2222');
  });

  it('refuses what it cannot understand, naming the input and the part that is wrong', () => {
    expect(() => normalizeHostUrl('ftp://x')).toThrow(/cannot use the engine address "ftp:\/\/x": it is not unix/);
    expect(() => normalizeHostUrl('tcp://:0')).toThrow(/"tcp:\/\/:0": the host name is empty/);
    expect(() => normalizeHostUrl('tcp://h:99999')).toThrow(/"tcp:\/\/h:99999": the port "99999" is not between 1 and 65535/);
    expect(() => normalizeHostUrl('tcp://h:-1')).toThrow(/the port "-1" is not between 1 and 65535/);
    expect(() => normalizeHostUrl('tcp://h:0')).toThrow(/the port "0"/);
    expect(() => normalizeHostUrl('h:')).toThrow(/the port ""/);
    expect(() => normalizeHostUrl('ssh://@')).toThrow(/"ssh:\/\/@": the host name is empty/);
    expect(() => normalizeHostUrl('ssh://@h')).toThrow(/the user name before @ is empty/);
    expect(() => normalizeHostUrl('unix://')).toThrow(/the socket path is empty/);
    expect(normalizeHostUrl('tcp://[::1]:2375')).toBe('tcp://[::1]:2375');
  });
});
