import { type InetFamily, decodeKernelAddress } from './inet-address.js';
import { parseDecimal, parseHex, parseU32 } from './numbers.js';
import { type ParseResult, type ProblemLog, type ProcInput, parseSafely, quote } from './parse-result.js';
import { splitFields, splitLines, toText } from './text.js';

export type InetProtocol = 'tcp' | 'udp';

/** One socket of /proc/net/tcp, tcp6, udp or udp6. */
export interface InetSocket {
  protocol: InetProtocol;
  family: InetFamily;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** TCP: the kernel's state name (LISTEN, ESTABLISHED…). UDP: ESTABLISHED when connected, else UNCONN. */
  state: string;
  uid: number;
  /** Matches the N of a socket:[N] link in /proc/<pid>/fd; 0 for TIME_WAIT sockets. */
  inode: number;
}

// include/net/tcp_states.h
const TCP_STATES: ReadonlyMap<number, string> = new Map([
  [1, 'ESTABLISHED'],
  [2, 'SYN_SENT'],
  [3, 'SYN_RECV'],
  [4, 'FIN_WAIT1'],
  [5, 'FIN_WAIT2'],
  [6, 'TIME_WAIT'],
  [7, 'CLOSE'],
  [8, 'CLOSE_WAIT'],
  [9, 'LAST_ACK'],
  [10, 'LISTEN'],
  [11, 'CLOSING'],
  [12, 'NEW_SYN_RECV'],
]);
// UDP borrows TCP's numbers; TCP_CLOSE there means "not connected", which ss calls UNCONN.
const UDP_STATES: ReadonlyMap<number, string> = new Map([
  [1, 'ESTABLISHED'],
  [7, 'UNCONN'],
]);

const LOCAL = 1;
const REMOTE = 2;
const STATE = 3;
const UID = 7;
const INODE = 9;

/** /proc/net/tcp or /proc/net/tcp6 (the address length tells the family). */
export function parseNetTcp(input: ProcInput): ParseResult<InetSocket[]> {
  return parseInetSockets('tcp', input);
}

/** /proc/net/udp or /proc/net/udp6. */
export function parseNetUdp(input: ProcInput): ParseResult<InetSocket[]> {
  return parseInetSockets('udp', input);
}

/** A socket that waits for peers: a TCP listener or an unconnected, bound UDP socket. */
export function isListeningSocket(socket: InetSocket): boolean {
  if (socket.protocol === 'tcp') return socket.state === 'LISTEN';
  return socket.state === 'UNCONN' && socket.localPort !== 0;
}

function parseInetSockets(protocol: InetProtocol, input: ProcInput): ParseResult<InetSocket[]> {
  return parseSafely(`net/${protocol}`, (log) => readSockets(protocol, toText(input, log), log), () => []);
}

function readSockets(protocol: InetProtocol, text: string, log: ProblemLog): InetSocket[] {
  const sockets: InetSocket[] = [];
  splitLines(text).forEach((line, index) => {
    const fields = splitFields(line);
    if (fields.length === 0 || fields[0] === 'sl') return;
    const socket = readSocket(protocol, fields);
    if (socket === undefined) log.atLine(index + 1, `cannot read socket line: ${quote(line.trim())}`);
    else sockets.push(socket);
  });
  return sockets;
}

function readSocket(protocol: InetProtocol, fields: readonly string[]): InetSocket | undefined {
  if (fields.length <= INODE || !/^[0-9]+:$/.test(fields[0] ?? '')) return undefined;
  const local = readEndpoint(fields[LOCAL]);
  const remote = readEndpoint(fields[REMOTE]);
  const stateNumber = parseHex(fields[STATE]);
  const uid = parseU32(fields[UID]);
  const inode = parseDecimal(fields[INODE]);
  if (local === undefined || remote === undefined || local.family !== remote.family) return undefined;
  if (stateNumber === undefined || uid === undefined || inode === undefined) return undefined;
  return {
    protocol,
    family: local.family,
    localAddress: local.address,
    localPort: local.port,
    remoteAddress: remote.address,
    remotePort: remote.port,
    state: stateName(protocol, stateNumber),
    uid,
    inode,
  };
}

function readEndpoint(field: string | undefined): { family: InetFamily; address: string; port: number } | undefined {
  const [hexAddress, hexPort, extra] = (field ?? '').split(':');
  if (extra !== undefined || hexAddress === undefined || hexPort?.length !== 4) return undefined;
  const address = decodeKernelAddress(hexAddress);
  const port = parseHex(hexPort);
  return address === undefined || port === undefined ? undefined : { ...address, port };
}

function stateName(protocol: InetProtocol, state: number): string {
  const known = (protocol === 'tcp' ? TCP_STATES : UDP_STATES).get(state);
  return known ?? `UNKNOWN_${state.toString(16).toUpperCase().padStart(2, '0')}`;
}

export const INET_TABLES = ['tcp', 'tcp6', 'udp', 'udp6'] as const;
export type InetTable = (typeof INET_TABLES)[number];

/**
 * Parses whichever of a process's four inet tables could be read (`text` gives undefined
 * for the others), with each table's problems kept apart so that they can be attributed.
 */
export function parseInetTables(text: (table: InetTable) => string | undefined): Array<{ table: InetTable; result: ParseResult<InetSocket[]> }> {
  const parsed: Array<{ table: InetTable; result: ParseResult<InetSocket[]> }> = [];
  for (const table of INET_TABLES) {
    const input = text(table);
    if (input === undefined) continue;
    parsed.push({ table, result: table.startsWith('tcp') ? parseNetTcp(input) : parseNetUdp(input) });
  }
  return parsed;
}
