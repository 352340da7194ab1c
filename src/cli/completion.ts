/**
 * What to offer for the word under the cursor, from a description of the commander program
 * (so subcommands and flags never drift from the real ones). Pure: containers are asked for,
 * not listed here (complete-command.ts makes the one engine call).
 */
import type { Command } from 'commander';

export interface CompletionFlag {
  names: string[];
  takesValue: boolean;
}

export interface CompletionCommand {
  name: string;
  flags: CompletionFlag[];
  /** Names of the positional arguments, in order ("target", "command...", …). */
  argumentNames: string[];
  /** Words after the first operand are a command to run (exec, shell). */
  passThrough: boolean;
  subcommands: CompletionCommand[];
}

export type Completion =
  | { kind: 'words'; words: string[] }
  /** Container names from the engine; `suffix` is ":" for TARGET:PATH arguments. */
  | { kind: 'containers'; includeStopped: boolean; suffix: string }
  | { kind: 'contexts' }
  /** Nothing sidekick knows of (a path, a command to run): the shell's own completion applies. */
  | { kind: 'none' };

export interface CompletionRequest {
  completion: Completion;
  /** The word being completed, as typed so far. */
  current: string;
  /** Engine flags written on the line being completed, so that names come from that engine. */
  host?: string;
  context?: string;
}

/** Commands whose stopped containers are targets too: a copy (exec --copy), the engine's archive (ls, cp). */
const STOPPED_TARGETS = new Set(['exec', 'ls', 'cp']);

export function describeForCompletion(program: Command): CompletionCommand {
  const help = program.createHelp();
  const describe = (command: Command): CompletionCommand => ({
    name: command.name(),
    flags: help.visibleOptions(command).map((option) => ({
      names: [option.long, option.short].filter((name): name is string => name !== undefined),
      takesValue: option.required || option.optional,
    })),
    argumentNames: command.registeredArguments.map((argument) => `${argument.name()}${argument.variadic ? '...' : ''}`),
    // commander keeps this setting private; global-flags.ts reads it the same way.
    passThrough: (command as unknown as { _passThroughOptions?: boolean })._passThroughOptions === true,
    subcommands: help.visibleCommands(command).map(describe),
  });
  return describe(program);
}

/**
 * `words` are the words after the program's name up to the cursor; the last is the one being
 * completed (empty when the cursor follows a space).
 */
export function completeWords(program: CompletionCommand, words: readonly string[]): CompletionRequest {
  const current = words.at(-1) ?? '';
  const before = words.slice(0, -1);
  const request: CompletionRequest = { completion: { kind: 'none' }, current };
  let command = program;
  let operands = 0;
  let afterDashes = false;
  let valueOf: CompletionFlag | undefined;
  let valueFlagName = '';

  for (let i = 0; i < before.length; i += 1) {
    const word = before[i]!;
    if (afterDashes) continue;
    if (word === '--') {
      afterDashes = true;
      continue;
    }
    if (word.startsWith('-') && word !== '-') {
      const equals = word.indexOf('=');
      const name = equals < 0 ? word : word.slice(0, equals);
      const flag = findFlag(command, program, name);
      if (flag?.takesValue && equals < 0) {
        const value = before[i + 1];
        if (value === undefined) {
          valueOf = flag;
          valueFlagName = name;
        } else {
          rememberEngineFlag(request, flag, value);
          i += 1;
        }
      } else if (flag?.takesValue) {
        rememberEngineFlag(request, flag, word.slice(equals + 1));
      }
      continue;
    }
    const sub = operands === 0 ? command.subcommands.find((candidate) => candidate.name === word) : undefined;
    if (sub !== undefined) {
      command = sub;
      continue;
    }
    operands += 1;
    if (command.passThrough) afterDashes = true; // the words after the target are the command to run
  }

  if (valueOf !== undefined) {
    request.completion = valueOf.names.includes('--context') && isGlobal(program, valueFlagName) ? { kind: 'contexts' } : { kind: 'none' };
    return request;
  }
  if (afterDashes) return request;
  if (current.startsWith('-')) {
    // After a subcommand the program's flags still apply, but for --version and --help (the command's own).
    const globals = program.flags.filter((flag) => !flag.names.includes('--version') && !flag.names.includes('--help'));
    const flags = command === program ? program.flags : [...command.flags, ...globals];
    request.completion = { kind: 'words', words: flags.flatMap((flag) => flag.names.filter((name) => name.startsWith('--') || flag.names.length === 1)) };
    return request;
  }
  if (command.subcommands.length > 0 && operands === 0) {
    request.completion = { kind: 'words', words: command.subcommands.map((sub) => sub.name) };
    return request;
  }
  const argument = command.argumentNames[operands];
  if (argument === 'target' || argument === 'target:path' || (command.name === 'cp' && (argument === 'source' || argument === 'destination'))) {
    request.completion = { kind: 'containers', includeStopped: STOPPED_TARGETS.has(command.name), suffix: argument === 'target' ? '' : ':' };
  }
  return request;
}

function findFlag(command: CompletionCommand, program: CompletionCommand, name: string): CompletionFlag | undefined {
  const own = command.flags.find((flag) => flag.names.includes(name));
  if (own !== undefined) return own;
  return program.flags.find((flag) => flag.names.includes(name));
}

function isGlobal(program: CompletionCommand, name: string): boolean {
  return program.flags.some((flag) => flag.names.includes(name));
}

function rememberEngineFlag(request: CompletionRequest, flag: CompletionFlag, value: string): void {
  if (flag.names.includes('--host')) request.host = value;
  if (flag.names.includes('--context')) request.context = value;
}

/** The candidates that start with what was typed, each once, in order. */
export function matching(candidates: readonly string[], current: string): string[] {
  return [...new Set(candidates.filter((candidate) => candidate.startsWith(current)))];
}
