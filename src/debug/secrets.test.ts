import { describe, expect, it } from 'vitest';
import { MASK, isSecretName, maskArgv, maskEnvValue } from './secrets.js';

describe('isSecretName', () => {
  it.each(['API_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'DB_PASSWORD', 'apiKey', 'GITHUBTOKEN', 'MYSQL_ROOTPASSWORD', 'SSH_PRIVATE_KEY', 'auth', 'SENTRY_DSN'])(
    '%s is secret',
    (name) => expect(isSecretName(name)).toBe(true),
  );
  it.each(['PATH', 'HOME', 'PWD', 'GREETING', 'HOSTNAME', 'KEYBOARD_LAYOUT', 'MONKEY', 'LANG', 'TERM'])('%s is not', (name) =>
    expect(isSecretName(name)).toBe(false),
  );
});

describe('maskEnvValue', () => {
  it('masks secret names unless asked not to', () => {
    expect(maskEnvValue('API_TOKEN', 's3cr3t', false)).toEqual({ value: MASK, masked: true });
    expect(maskEnvValue('API_TOKEN', 's3cr3t', true)).toEqual({ value: 's3cr3t', masked: false });
    expect(maskEnvValue('GREETING', 'hello', false)).toEqual({ value: 'hello', masked: false });
  });

  it('masks the password of a URL whatever the name', () => {
    expect(maskEnvValue('DATABASE_URL', 'postgres://app:hunter2@db:5432/x', false)).toEqual({
      value: `postgres://app:${MASK}@db:5432/x`,
      masked: true,
    });
    expect(maskEnvValue('HOMEPAGE', 'https://example.com/a@b', false).masked).toBe(false);
  });
});

describe('secrets by name and shape (issue 11)', () => {
  it.each(['MYSQL_PWD', 'GITHUB_PAT', 'SLACK_WEBHOOK_URL', 'DB_PW'])('%s is secret', (name) => expect(isSecretName(name)).toBe(true));
  it.each(['PWD', 'OLDPWD', 'PATH', 'PATCH_LEVEL'])('%s is not', (name) => expect(isSecretName(name)).toBe(false));

  it('masks values by shape whatever the name', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
    expect(maskEnvValue('SESSION_INFO_X', jwt, false).masked).toBe(true);
    expect(maskEnvValue('NOTE', `Bearer ${jwt}`, false)).toEqual({ value: `Bearer ${MASK}`, masked: true });
    expect(maskEnvValue('NOTIFY', 'https://hooks.slack.com/services/T000/B000/XXXXXXXX', false)).toEqual({ value: MASK, masked: true });
    expect(maskEnvValue('ORIGIN', 'ghp_0123456789abcdefghijABCDEFGHIJ012345', false)).toEqual({ value: MASK, masked: true });
    expect(maskEnvValue('ORIGIN', 'ghp_0123456789abcdefghijABCDEFGHIJ012345', true).masked).toBe(false);
    expect(maskEnvValue('LANG', 'C.UTF-8', false).masked).toBe(false);
  });
});

describe('maskArgv', () => {
  it('masks option values, -pVALUE, NAME=VALUE and shaped credentials; leaves the rest', () => {
    const args = [
      '/app/server',
      '--api-key=abc123',
      '--password',
      'hunter2',
      '-pS3cretPw',
      '-p8080',
      '--port',
      '8080',
      '--key-file',
      '/run/key.pem',
      'DB_PASSWORD=x',
      '--upstream=postgres://app:pw@db/x',
      '--token',
      '--verbose',
      'ghp_0123456789abcdefghijABCDEFGHIJ012345',
    ];
    expect(maskArgv(args, false)).toEqual({
      value: [
        '/app/server',
        `--api-key=${MASK}`,
        '--password',
        MASK,
        `-p${MASK}`,
        '-p8080',
        '--port',
        '8080',
        '--key-file',
        '/run/key.pem',
        `DB_PASSWORD=${MASK}`,
        `--upstream=postgres://app:${MASK}@db/x`,
        '--token',
        '--verbose',
        MASK,
      ],
      masked: true,
    });
    expect(maskArgv(args, true)).toEqual({ value: args, masked: false });
    expect(maskArgv(['redis-server', '--port', '6379'], false).masked).toBe(false);
  });
});
