export type { ParseResult, ProcInput } from './parse-result.js';
export type { ProcessState } from './process-state.js';
export { processState } from './process-state.js';
export type { CapabilitySets, IdSet, ProcStatus, SeccompMode } from './status.js';
export { parseStatus } from './status.js';
export type { ProcStat } from './stat.js';
export { parseStat } from './stat.js';
export type { EnvironEntry } from './environ.js';
export { environToMap, parseEnviron } from './environ.js';
export { parseCmdline } from './cmdline.js';
export type { MountInfoEntry } from './mountinfo.js';
export { parseMountinfo } from './mountinfo.js';
export type { DecodedEscapes } from './octal-escapes.js';
export { decodeOctalEscapes } from './octal-escapes.js';
export type { InetAddress, InetFamily } from './inet-address.js';
export { decodeKernelAddress, formatIpv4, formatIpv6 } from './inet-address.js';
export type { InetProtocol, InetSocket } from './net-sockets.js';
export { INET_TABLES, isListeningSocket, parseInetTables, parseNetTcp, parseNetUdp, type InetTable } from './net-sockets.js';
export type { UnixSocket } from './net-unix.js';
export { parseNetUnix } from './net-unix.js';
export type { CgroupEntry } from './cgroup.js';
export { parseCgroup } from './cgroup.js';
export type { CapabilityDiff, CapabilityName, DecodedCapabilities } from './capabilities.js';
export {
  CAPABILITY_NAMES,
  DOCKER_DEFAULT_CAPABILITIES,
  DOCKER_DEFAULT_CAPABILITY_MASK,
  capabilityBit,
  capabilityMask,
  decodeCapabilities,
  diffFromDockerDefault,
  parseCapabilityName,
} from './capabilities.js';
export type { FdLink } from './socket-owners.js';
export { mapSocketInodesToPids, socketInodeFromLink } from './socket-owners.js';
