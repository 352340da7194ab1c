/**
 * A toolbox built from Debian packages is named by what it holds: the sorted package list,
 * the suite, the architecture and the version of the recipe. The same request finds the
 * same image, so a toolbox is built once per machine (`sidekick exec --tools …`).
 */
import { createHash } from 'node:crypto';
import { SidekickError } from './errors.js';

/** Added to every package toolbox: a shell that does not hide the toolbox's own programs, CA certificates, terminfo. */
export const BASE_PACKAGES = ['bash', 'ca-certificates', 'ncurses-base'];
/** Bumped when the way a toolbox image is made changes, so that older builds are not reused. */
const RECIPE_VERSION = 2;

export interface PackageToolboxRequest {
  packages: string[];
  suite: string;
  /** Debian's name for the architecture (amd64, arm64…). */
  arch: string;
}

/** Parses `strace,tcpdump gdb` (commas or spaces) into Debian package names, refusing anything else. */
export function parsePackageList(text: string): string[] {
  const names = text.split(/[\s,]+/).filter((name) => name !== '');
  if (names.length === 0) {
    throw new SidekickError('BAD_USAGE', '--tools needs at least one Debian package name.', { hint: 'For example: --tools strace,tcpdump,curl' });
  }
  for (const name of names) {
    // Debian policy §5.6.1; also keeps names from being read as mmdebstrap options.
    if (!/^[a-z0-9][a-z0-9+.-]+$/.test(name)) {
      throw new SidekickError('BAD_USAGE', `--tools: "${name}" is not a Debian package name.`, {
        hint: 'Package names are lowercase letters, digits and + - . (at least two characters), separated by commas.',
      });
    }
  }
  return names;
}

/** The package list as built: the user's and the base ones, each once, sorted. */
export function normalizedPackages(packages: string[]): string[] {
  return [...new Set([...packages, ...BASE_PACKAGES])].sort();
}

/** The content tag: `debian-<suite>-<arch>-<hash of the recipe>`. */
export function packageToolboxTag(request: PackageToolboxRequest): string {
  const key = JSON.stringify({ recipe: RECIPE_VERSION, suite: request.suite, arch: request.arch, packages: normalizedPackages(request.packages) });
  return `debian-${request.suite}-${request.arch}-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

/** What the image's label says it holds: `suite arch pkg,pkg…`. */
export function describePackageToolbox(request: PackageToolboxRequest): string {
  return `${request.suite} ${request.arch} ${normalizedPackages(request.packages).join(',')}`;
}

/** Debian's architecture name for Node's. */
export function debianArch(nodeArch: string): string {
  const names: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'armhf', ia32: 'i386', ppc64: 'ppc64el', s390x: 's390x', riscv64: 'riscv64' };
  return names[nodeArch] ?? nodeArch;
}
