/**
 * What to mask in a report or a process listing. Both are pasted into tickets and chats, so
 * a value is hidden unless the user asks (--show-secrets) when its name looks secret (an
 * environment variable, a command-line option), when it has the shape of a known credential
 * (a GitHub token, a JWT, a Slack webhook…), or when it is the password of a URL.
 */
const SECRET_WORDS = new Set([
  'KEY', 'KEYS', 'APIKEY', 'TOKEN', 'TOKENS', 'SECRET', 'SECRETS', 'PASSWORD', 'PASSWD', 'PASS', 'PASSPHRASE', 'PWD_HASH',
  'CREDENTIAL', 'CREDENTIALS', 'CREDS', 'AUTH', 'PRIVATE', 'SALT', 'COOKIE', 'SIGNATURE', 'DSN', 'SESSION', 'CERT', 'PEM',
  // GITHUB_PAT, SLACK_WEBHOOK_URL: a personal access token, a webhook URL is its own credential.
  'PAT', 'WEBHOOK', 'WEBHOOKS', 'BEARER', 'JWT', 'OTP', 'PIN',
]);
/** Words that are secret only beside others: MYSQL_PWD is a password, PWD alone the working directory. */
const SECRET_WORDS_NOT_ALONE = new Set(['PWD', 'PW']);

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
  if (parts.length > 1 && parts.some((word) => SECRET_WORDS_NOT_ALONE.has(word))) return true;
  // Run-together names: MYSQL_ROOTPASSWORD, GITHUBTOKEN.
  return parts.some((word) => /(PASSWORD|PASSWD|TOKEN|SECRET|APIKEY|PRIVATEKEY|ACCESSKEY)/.test(word));
}

export interface MaskedValue {
  value: string;
  masked: boolean;
}

export function maskEnvValue(name: string, value: string, showSecrets: boolean): MaskedValue {
  if (showSecrets) return { value, masked: false };
  if (isSecretName(name)) return { value: MASK, masked: true };
  return maskSecretsIn(value);
}

/**
 * Credentials recognised by their shape, wherever they appear in a text. Each is specific
 * enough (a fixed prefix and a long random tail) not to hide ordinary words.
 */
const SECRET_SHAPES: RegExp[] = [
  /\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}/g, // GitHub tokens
  /\bgithub_pat_[A-Za-z0-9_]{20,}/g,
  /\bglpat-[A-Za-z0-9_-]{20,}/g, // GitLab
  /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, // Slack tokens
  /\bhttps:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g,
  /\bhttps:\/\/(?:discord|discordapp)\.com\/api\/webhooks\/[A-Za-z0-9/_-]+/g,
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, // AWS access key IDs
  /\bsk-(?:live-|test-|proj-|ant-)?[A-Za-z0-9_-]{20,}/g, // Stripe, OpenAI, Anthropic keys
  /\bsk_(?:live|test)_[A-Za-z0-9]{16,}/g,
  /\bAIza[0-9A-Za-z_-]{35}/g, // Google API keys
  /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, // JWTs
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)/g,
];

/** Every password of a URL in a text ("postgres://app:hunter2@db/x", also inside longer text). */
const URL_PASSWORDS = /([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*:)([^/@\s]+)(@)/gi;

/** A text with every secret-shaped part and URL password replaced by the mask. */
export function maskSecretsIn(text: string): MaskedValue {
  let value = text;
  for (const shape of SECRET_SHAPES) value = value.replace(shape, MASK);
  value = value.replace(URL_PASSWORDS, `$1${MASK}$3`);
  return { value, masked: value !== text };
}

/** Options that take a secret: "--api-key=…", "--password …", "--db-pass …", "-p…" (mysql). */
function isSecretOption(option: string): boolean {
  const name = option.replace(/^-+/, '');
  // "--key-file /run/k", "--session-timeout 30": the option names where a secret is, not the secret.
  if (/[-_.](file|path|dir|directory|timeout|ttl|mode|type|length|size|id|name|env|store)$/i.test(name)) return false;
  return name !== '' && isSecretName(name);
}

/**
 * A command line with its secrets masked: the value of an option whose name looks secret
 * (attached with '=' or as the next argument), an attached "-pVALUE" (mysql's password
 * flag; a separate "-p 8080" is left alone), "NAME=VALUE" arguments with a secret NAME, and
 * credentials recognised by shape anywhere.
 */
export function maskArgv(args: readonly string[], showSecrets: boolean): { value: string[]; masked: boolean } {
  if (showSecrets) return { value: [...args], masked: false };
  const value: string[] = [];
  let masked = false;
  let nextIsSecret = false;
  for (const arg of args) {
    if (nextIsSecret) {
      nextIsSecret = false;
      if (!arg.startsWith('-') || arg === '-') {
        value.push(MASK);
        masked = true;
        continue;
      }
    }
    // Not a port ("-p8080"): a password of five digits or fewer is not worth hiding a port for.
    if (/^-p.+/s.test(arg) && !/^-p\d{1,5}$/.test(arg)) {
      value.push(`-p${MASK}`);
      masked = true;
      continue;
    }
    const option = /^(--?[A-Za-z][A-Za-z0-9_.-]*)=(.*)$/s.exec(arg);
    if (option && isSecretOption(option[1]!)) {
      value.push(`${option[1]}=${MASK}`);
      masked = true;
      continue;
    }
    if (/^--?[A-Za-z][A-Za-z0-9_.-]*$/.test(arg) && isSecretOption(arg)) {
      value.push(arg);
      nextIsSecret = true;
      continue;
    }
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(arg);
    if (assignment && isSecretName(assignment[1]!)) {
      value.push(`${assignment[1]}=${MASK}`);
      masked = true;
      continue;
    }
    const shaped = maskSecretsIn(arg);
    value.push(shaped.value);
    masked ||= shaped.masked;
  }
  return { value, masked };
}
