import type { Command } from 'commander';

/** Which flags take a value, per command; built from commander's definitions by describeProgram(). */
export interface FlagTable {
  /** Flags of the whole program that may appear anywhere on the line (-H, --context, --debug). */
  globals: Map<string, boolean>;
  commands: Map<string, { flags: Map<string, boolean>; passThrough: boolean }>;
}

interface FlagToken {
  /** The flag as written, without an inline value. */
  flag: string;
  /** Whether the next token is its value. */
  valueFollows: boolean;
}

/** Reads one token as a flag of `flags`: `--long`, `--long=v`, `-s`, `-sVALUE`, `-abc` clusters. */
function readFlag(token: string, flags: Map<string, boolean>): FlagToken | undefined {
  if (!token.startsWith('-') || token === '-' || token === '--') return undefined;
  if (token.startsWith('--')) {
    const equals = token.indexOf('=');
    const flag = equals < 0 ? token : token.slice(0, equals);
    return { flag, valueFollows: equals < 0 && flags.get(flag) === true };
  }
  // A short cluster: the first letter that takes a value takes the rest, or the next token.
  for (let i = 1; i < token.length; i += 1) {
    if (flags.get(`-${token[i]}`) === true) return { flag: token.slice(0, i + 1), valueFollows: i === token.length - 1 };
  }
  return { flag: token, valueFollows: false };
}

/** A global flag written as one token, or undefined (clusters such as -iH are left alone). */
function readGlobal(token: string, table: FlagTable): FlagToken | undefined {
  const read = readFlag(token, table.globals);
  if (read === undefined || !table.globals.has(read.flag)) return undefined;
  return read;
}

/**
 * The command line with every global flag that follows the subcommand moved in front of it,
 * where commander reads them: `sidekick ps web --debug` works as `sidekick --debug ps web`.
 * Nothing after `--` is touched. For commands whose words after TARGET are the command to run
 * (exec, shell), those words are left as they are unless a `--` follows them and every word
 * before it is a flag: then they are the subcommand's own flags (`exec web -u 0 -- id`).
 */
export function hoistGlobalFlags(argv: string[], table: FlagTable): string[] {
  let index = 0;
  // Flags before the subcommand are commander's to read as they are.
  while (index < argv.length) {
    const read = readFlag(argv[index]!, table.globals);
    if (read === undefined) break;
    index += read.valueFollows ? 2 : 1;
  }
  const name = argv[index];
  const command = name === undefined ? undefined : table.commands.get(name);
  if (command === undefined) return argv;

  const hoisted: string[] = [];
  const own: string[] = [];
  let firstOperand = -1;
  let i = index + 1;
  for (; i < argv.length; i += 1) {
    const token = argv[i]!;
    if (token === '--') break;
    if (command.passThrough && firstOperand >= 0) break;
    const global = readGlobal(token, table);
    if (global !== undefined) {
      hoisted.push(token);
      if (global.valueFollows && i + 1 < argv.length) hoisted.push(argv[(i += 1)]!);
      continue;
    }
    own.push(token);
    const read = readFlag(token, command.flags);
    if (read === undefined) {
      if (firstOperand < 0) firstOperand = own.length - 1;
    } else if (read.valueFollows && i + 1 < argv.length) {
      own.push(argv[(i += 1)]!);
    }
  }
  let tail = argv.slice(i);
  if (command.passThrough && firstOperand >= 0) {
    const dashes = tail.indexOf('--');
    const flagsOnly = dashes > 0 ? flagsBeforeDashes(tail.slice(0, dashes), table, command.flags) : undefined;
    if (flagsOnly !== undefined) {
      hoisted.push(...flagsOnly.globals);
      own.splice(firstOperand, 0, ...flagsOnly.own);
      tail = tail.slice(dashes);
    }
  }
  return [...argv.slice(0, index), ...hoisted, name!, ...own, ...tail];
}

/** Splits words into global and own flags (with their values), or undefined when one is not a flag. */
function flagsBeforeDashes(words: string[], table: FlagTable, flags: Map<string, boolean>): { globals: string[]; own: string[] } | undefined {
  const globals: string[] = [];
  const own: string[] = [];
  for (let i = 0; i < words.length; i += 1) {
    const global = readGlobal(words[i]!, table);
    const read = global ?? readFlag(words[i]!, flags);
    if (read === undefined) return undefined;
    const into = global !== undefined ? globals : own;
    into.push(words[i]!);
    if (read.valueFollows) {
      if (i + 1 >= words.length) return undefined;
      into.push(words[(i += 1)]!);
    }
  }
  return { globals, own };
}

/** The flag table of a commander program whose own options are the global ones. */
export function describeProgram(program: Command): FlagTable {
  const flagsOf = (command: Command): Map<string, boolean> => {
    const flags = new Map<string, boolean>();
    for (const option of command.options) {
      const takesValue = option.required || option.optional;
      if (option.short) flags.set(option.short, takesValue);
      if (option.long) flags.set(option.long, takesValue);
    }
    return flags;
  };
  const globals = flagsOf(program);
  for (const flag of ['-v', '--version']) globals.delete(flag);
  const commands = new Map<string, { flags: Map<string, boolean>; passThrough: boolean }>();
  for (const command of program.commands) {
    // commander keeps this setting private; exec and shell are the commands that pass words through.
    const passThrough = (command as unknown as { _passThroughOptions?: boolean })._passThroughOptions === true;
    commands.set(command.name(), { flags: flagsOf(command), passThrough });
  }
  return { globals, commands };
}
