/**
 * Linux capabilities by bit number (include/uapi/linux/capability.h), and how a set
 * compares with what Docker grants a container by default.
 */
export const CAPABILITY_NAMES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const;

export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

/** What `docker run` grants without --cap-add/--cap-drop (moby's oci/caps/defaults.go). */
export const DOCKER_DEFAULT_CAPABILITIES: readonly CapabilityName[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

// The kernel's capability sets are 64 bits wide; bits past CAP_CHECKPOINT_RESTORE are ones
// a newer kernel may define that this list does not know yet.
const MASK_BITS = 64;

export interface DecodedCapabilities {
  names: CapabilityName[];
  unknownBits: number[];
}

export interface CapabilityDiff {
  /** Held, but not in Docker's default set. */
  added: CapabilityName[];
  /** In Docker's default set, but not held. */
  dropped: CapabilityName[];
  /** Held bits with no known name: always beyond the default set. */
  unknownBits: number[];
}

const BIT_BY_NAME: ReadonlyMap<string, number> = new Map(CAPABILITY_NAMES.map((name, bit) => [name, bit]));

export function capabilityBit(name: CapabilityName): number {
  return BIT_BY_NAME.get(name) ?? -1;
}

export function capabilityMask(names: Iterable<CapabilityName>): bigint {
  let mask = 0n;
  for (const name of names) {
    const bit = BIT_BY_NAME.get(name);
    if (bit !== undefined) mask |= 1n << BigInt(bit);
  }
  return mask;
}

export const DOCKER_DEFAULT_CAPABILITY_MASK: bigint = capabilityMask(DOCKER_DEFAULT_CAPABILITIES);

/** Accepts "NET_ADMIN", "cap_net_admin" or "CAP_NET_ADMIN", as docker's --cap-add does. */
export function parseCapabilityName(text: string): CapabilityName | undefined {
  const upper = text.trim().toUpperCase();
  const name = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  return BIT_BY_NAME.has(name) ? (name as CapabilityName) : undefined;
}

export function decodeCapabilities(mask: bigint): DecodedCapabilities {
  const decoded: DecodedCapabilities = { names: [], unknownBits: [] };
  if (typeof mask !== 'bigint') return decoded;
  const bits = BigInt.asUintN(MASK_BITS, mask);
  for (let bit = 0; bit < MASK_BITS; bit += 1) {
    if (((bits >> BigInt(bit)) & 1n) === 0n) continue;
    const name = CAPABILITY_NAMES[bit];
    if (name === undefined) decoded.unknownBits.push(bit);
    else decoded.names.push(name);
  }
  return decoded;
}

export function diffFromDockerDefault(mask: bigint): CapabilityDiff {
  const held = decodeCapabilities(mask);
  const heldNames = new Set<CapabilityName>(held.names);
  const defaults = new Set<CapabilityName>(DOCKER_DEFAULT_CAPABILITIES);
  return {
    added: held.names.filter((name) => !defaults.has(name)),
    dropped: CAPABILITY_NAMES.filter((name) => defaults.has(name) && !heldNames.has(name)),
    unknownBits: held.unknownBits,
  };
}
