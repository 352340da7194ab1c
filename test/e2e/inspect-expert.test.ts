/**
 * `inspect` and `ps` answer an on-call engineer's questions (issue 11), each case against a
 * target built here that reproduces it.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { InspectReport } from '../../src/debug/inspect-report.js';
import type { ProcessListing } from '../../src/debug/list-processes.js';
import { removeTarget, runCli, startTarget, type TestTarget } from './harness.js';
import { expectNoSidekicksFor } from './own-sidekicks.js';

const GITHUB_PAT = 'ghp_0123456789abcdefghijABCDEFGHIJ012345';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
const WEBHOOK = 'https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXX';
const PLAIN_SECRETS = ['apikey-value-1', 'hunter2-value', 'S3cretPw', 'mysql-pwd-value'];

describe('sidekick inspect and ps, for an expert', () => {
  const targets: TestTarget[] = [];
  afterEach(async () => {
    for (const target of targets.splice(0)) await removeTarget(target.id);
  });
  const start = async (...args: Parameters<typeof startTarget>): Promise<TestTarget> => {
    const target = await startTarget(...args);
    targets.push(target);
    return target;
  };

  it('masks secrets in argv, by name and by shape, in text and JSON, in inspect and ps; --show-secrets shows them', async () => {
    const target = await start(inject('fixtures').distroless, {
      env: { MYSQL_PWD: 'mysql-pwd-value', GITHUB_PAT, SLACK_WEBHOOK_URL: WEBHOOK, UPSTREAM_INFO: JWT, GREETING: 'hello' },
      // The image's ENTRYPOINT is the server; these become its argv (it ignores them).
      command: ['--api-key=apikey-value-1', '--password', 'hunter2-value', '-pS3cretPw', `--auth-header=${JWT}`, '--port', '8080'],
    });
    const secrets = [...PLAIN_SECRETS, GITHUB_PAT, JWT, WEBHOOK];
    const outputs = await Promise.all([
      runCli(['inspect', target.name]),
      runCli(['inspect', '--json', target.name]),
      runCli(['ps', target.name]),
      runCli(['ps', '--json', target.name]),
    ]);
    for (const output of outputs) {
      expect(output.code).toBe(0);
      for (const secret of secrets) expect(output.stdout.toString()).not.toContain(secret);
    }
    const report = JSON.parse(outputs[1].stdout.toString()) as InspectReport;
    expect(report.pid1!.commandLine).toEqual(['/app/server', '--api-key=********', '--password', '********', '-p********', '--auth-header=********', '--port', '8080']);
    const env = Object.fromEntries(report.environment!.map((variable) => [variable.name, variable]));
    for (const name of ['MYSQL_PWD', 'GITHUB_PAT', 'SLACK_WEBHOOK_URL', 'UPSTREAM_INFO']) expect(env[name]?.masked, name).toBe(true);
    expect(env.GREETING).toMatchObject({ value: 'hello', masked: false });
    const ps = JSON.parse(outputs[3].stdout.toString()) as ProcessListing;
    expect(ps.processes[0]!.command).toContain('--api-key=********');
    expect(outputs[2].stdout.toString()).toContain('--password ******** -p********');

    const shown = await Promise.all([runCli(['inspect', '--show-secrets', '--json', target.name]), runCli(['ps', '--show-secrets', target.name])]);
    for (const secret of secrets) expect(shown[0].stdout.toString()).toContain(secret);
    expect(shown[1].stdout.toString()).toContain('--password hunter2-value -pS3cretPw');
    await expectNoSidekicksFor(target.id);
  });
});
