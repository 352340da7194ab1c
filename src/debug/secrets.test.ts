import { describe, expect, it } from 'vitest';
import { MASK, isSecretName, maskEnvValue } from './secrets.js';

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
