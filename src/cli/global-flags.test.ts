import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { describeProgram, hoistGlobalFlags } from './global-flags.js';

function program(): Command {
  const root = new Command('sidekick').option('-H, --host <url>').option('--context <name>').option('--debug').enablePositionalOptions();
  root.command('ps').argument('<target>').option('--json');
  root.command('exec').argument('[target]').argument('[command...]').option('-i').option('-t').option('-u, --user <user>').option('--image <ref>').passThroughOptions();
  return root;
}

const hoist = (line: string): string => hoistGlobalFlags(line.split(' '), describeProgram(program())).join(' ');

describe('hoistGlobalFlags', () => {
  it('moves global flags after the subcommand in front of it', () => {
    expect(hoist('ps web --debug')).toBe('--debug ps web');
    expect(hoist('ps --json -H tcp://h:1 web --context=c')).toBe('-H tcp://h:1 --context=c ps --json web');
    expect(hoist('--debug ps web')).toBe('--debug ps web');
  });

  it('leaves what follows -- alone', () => {
    expect(hoist('ps web -- --debug')).toBe('ps web -- --debug');
    expect(hoist('exec web -- sh -c --debug')).toBe('exec web -- sh -c --debug');
  });

  it('does not take a value of an option of the subcommand for a flag', () => {
    expect(hoist('exec -u --debug web')).toBe('exec -u --debug web');
    expect(hoist('exec --image -H web')).toBe('exec --image -H web');
  });

  it("leaves exec's command words alone, but reads flags between TARGET and --", () => {
    expect(hoist('exec web ls --debug')).toBe('exec web ls --debug');
    expect(hoist('exec web --debug -u 0 -- id')).toBe('--debug exec -u 0 web -- id');
    expect(hoist('exec -it web -- sh')).toBe('exec -it web -- sh');
    expect(hoist('exec web ls -- -la')).toBe('exec web ls -- -la');
  });
});
