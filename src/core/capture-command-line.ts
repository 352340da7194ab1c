/**
 * The tcpdump command line of `sidekick capture`. What the user gives is checked here so that
 * nothing of it is read as another tcpdump option (a `-w PATH` slipped in would write into the
 * target's namespace, not to the user's machine).
 */
import { SidekickError } from './errors.js';

/** The Debian package the capture's toolbox is made of. */
export const CAPTURE_TOOLS = ['tcpdump'];

/**
 * The sidekick's own account files: a package toolbox is extracted, not installed, so it has no
 * /etc/passwd, and tcpdump (even with -Z root) looks its user up before it starts capturing.
 */
export const CAPTURE_ACCOUNT_FILES = [
  { name: 'etc/passwd', content: 'root:x:0:0:root:/root:/bin/sh\n' },
  { name: 'etc/group', content: 'root:x:0:\n' },
];

export interface CaptureOptions {
  /** Interface in the target's network namespace; `any` (every interface, loopback too) by default. */
  interface?: string;
  /** End after this many packets. */
  count?: number;
  /** true: raw pcap on stdout (for a file or a pipe); false: tcpdump's decoded lines. */
  pcap: boolean;
  /** The filter expression, word by word, as tcpdump takes it. */
  filter: string[];
}

/** Linux's interface names: at most 15 bytes, no slash, no space; never read as an option. */
export function parseInterfaceName(text: string): string {
  if (!/^[A-Za-z0-9_.:@][A-Za-z0-9_.:@-]{0,14}$/.test(text)) {
    throw new SidekickError('BAD_USAGE', `-i ${text}: not an interface name.`, { hint: 'List the target\'s interfaces with: sidekick exec T -- ip -o link' });
  }
  return text;
}

export function parsePacketCount(text: string): number {
  if (!/^[1-9][0-9]{0,9}$/.test(text) || Number(text) > 2_147_483_647) {
    throw new SidekickError('BAD_USAGE', `-c ${text}: not a packet count.`, { hint: 'Give a whole number of packets, 1 or more.' });
  }
  return Number(text);
}

export function tcpdumpCommand(options: CaptureOptions): string[] {
  const command = ['tcpdump', '-i', options.interface ?? 'any'];
  // -Z root: Debian's tcpdump would drop to a user "tcpdump" the sidekick's root does not have.
  command.push('-Z', 'root');
  // --immediate-mode: each packet is handed to tcpdump as it comes, not a block of them a
  // second later (those still in the kernel's buffer when it is stopped would be lost); -U:
  // each is written out at once, so a pipe (wireshark -k -i -) sees it live and an interrupted
  // capture keeps everything up to its end.
  command.push('--immediate-mode');
  if (options.pcap) command.push('-U', '-w', '-');
  else command.push('-n', '-l');
  if (options.count !== undefined) command.push('-c', String(options.count));
  // After `--` every word is the filter's, even one that starts with a dash.
  if (options.filter.length > 0) command.push('--', ...options.filter);
  return command;
}
