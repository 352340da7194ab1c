/**
 * Which environment variables to mask in a report. A report is pasted into tickets and
 * chats, so a name that looks secret is hidden unless the user asks (--show-secrets).
 */
const SECRET_WORDS = new Set([
  'KEY', 'KEYS', 'APIKEY', 'TOKEN', 'TOKENS', 'SECRET', 'SECRETS', 'PASSWORD', 'PASSWD', 'PASS', 'PASSPHRASE', 'PWD_HASH',
  'CREDENTIAL', 'CREDENTIALS', 'CREDS', 'AUTH', 'PRIVATE', 'SALT', 'COOKIE', 'SIGNATURE', 'DSN', 'SESSION', 'CERT', 'PEM',
]);

export const MASK = '********';

/** Words of a name: split at '_', '-', '.', and camelCase humps ("apiKey" → API, KEY). */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toUpperCase()
    .split(/[^A-Z0-9]+/)
    .filter((word) => word !== '');
}

export function isSecretName(name: string): boolean {
  const parts = words(name);
  if (parts.some((word) => SECRET_WORDS.has(word))) return true;
  // Run-together names: MYSQL_ROOTPASSWORD, GITHUBTOKEN.
  return parts.some((word) => /(PASSWORD|PASSWD|TOKEN|SECRET|APIKEY|PRIVATEKEY|ACCESSKEY)/.test(word));
}

/** A URL with a password in it ("postgres://app:hunter2@db/x") is a secret whatever its name. */
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*:)([^/@\s]+)(@)/i;

export interface MaskedValue {
  value: string;
  masked: boolean;
}

export function maskEnvValue(name: string, value: string, showSecrets: boolean): MaskedValue {
  if (showSecrets) return { value, masked: false };
  if (isSecretName(name)) return { value: MASK, masked: true };
  if (URL_PASSWORD.test(value)) return { value: value.replace(URL_PASSWORD, `$1${MASK}$3`), masked: true };
  return { value, masked: false };
}
