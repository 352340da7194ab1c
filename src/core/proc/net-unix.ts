import { parseDecimal, parseHex } from './numbers.js';
import { type ParseResult, type ProblemLog, type ProcInput, parseSafely, quote } from './parse-result.js';
import { splitLines, toText } from './text.js';

/** One socket of /proc/net/unix. */
export interface UnixSocket {
  inode: number;
  /** STREAM, DGRAM, SEQPACKET…; UNKNOWN_<hex> for a type this list does not know. */
  type: string;
  /** The socket's state: UNCONNECTED, CONNECTING, CONNECTED, DISCONNECTING or FREE. */
  state: string;
  /** Accepts connections (the kernel's __SO_ACCEPTCON flag). */
  listening: boolean;
  /** As the kernel shows it: abstract names start with '@', and NULs in them read '@'. */
  path?: string;
  abstract: boolean;
}

const SOCKET_TYPES: ReadonlyMap<number, string> = new Map([
  [1, 'STREAM'],
  [2, 'DGRAM'],
  [3, 'RAW'],
  [4, 'RDM'],
  [5, 'SEQPACKET'],
  [6, 'DCCP'],
  [10, 'PACKET'],
]);
const SOCKET_STATES: ReadonlyMap<number, string> = new Map([
  [0, 'FREE'],
  [1, 'UNCONNECTED'],
  [2, 'CONNECTING'],
  [3, 'CONNECTED'],
  [4, 'DISCONNECTING'],
]);
const ACCEPT_CONNECTIONS = 0x10000;

// Num: RefCount Protocol Flags Type St Inode [Path]. The path is printed raw after one
// space: it may hold spaces, or begin with them, and even newlines.
const LINE = /^([0-9a-fA-F]+): +([0-9a-fA-F]+) +([0-9a-fA-F]+) +([0-9a-fA-F]+) +([0-9a-fA-F]+) +([0-9a-fA-F]+) +([0-9]+)(?: (.*))?$/;

export function parseNetUnix(input: ProcInput): ParseResult<UnixSocket[]> {
  return parseSafely('net/unix', (log) => readUnixSockets(toText(input, log), log), () => []);
}

function readUnixSockets(text: string, log: ProblemLog): UnixSocket[] {
  const sockets: UnixSocket[] = [];
  splitLines(text).forEach((line, index) => {
    if (index === 0 && line.startsWith('Num ')) return;
    const match = LINE.exec(line);
    if (match !== null) {
      const socket = readSocket(match);
      if (socket === undefined) log.atLine(index + 1, `cannot read socket line: ${quote(line)}`);
      else sockets.push(socket);
      return;
    }
    continuePath(sockets[sockets.length - 1], line, index + 1, log);
  });
  return sockets;
}

// A line that is not a socket line follows a path that holds a newline.
function continuePath(previous: UnixSocket | undefined, line: string, lineNumber: number, log: ProblemLog): void {
  if (previous?.path === undefined) {
    if (line.trim() !== '') log.atLine(lineNumber, `not a socket line: ${quote(line)}`);
    return;
  }
  previous.path = `${previous.path}\n${line}`;
  log.atLine(lineNumber, `the path of socket ${previous.inode} holds a newline; read as one path`);
}

function readSocket(match: RegExpExecArray): UnixSocket | undefined {
  const [, , , , flagsHex, typeHex, stateHex, inodeText, path] = match;
  const flags = parseHex(flagsHex);
  const type = parseHex(typeHex);
  const state = parseHex(stateHex);
  const inode = parseDecimal(inodeText);
  if (flags === undefined || type === undefined || state === undefined || inode === undefined) return undefined;
  const socket: UnixSocket = {
    inode,
    type: SOCKET_TYPES.get(type) ?? unknown(type),
    state: SOCKET_STATES.get(state) ?? unknown(state),
    listening: (flags & ACCEPT_CONNECTIONS) !== 0,
    abstract: path?.startsWith('@') ?? false,
  };
  if (path !== undefined) socket.path = path;
  return socket;
}

function unknown(code: number): string {
  return `UNKNOWN_${code.toString(16).toUpperCase().padStart(2, '0')}`;
}
