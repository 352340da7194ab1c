/** What kind of image a root filesystem looks like, from a few cheap facts about it. */
export type ImageKind = 'scratch' | 'distroless' | 'minimal' | 'full OS';

export interface FilesystemFacts {
  shells: readonly string[];
  packageManagers: readonly string[];
  libc: readonly string[];
  hasPasswd: boolean;
  hasOsRelease: boolean;
}

/**
 * scratch: no shell, no libc, no accounts — one static binary and what the engine adds.
 * distroless: no shell, but a libc and/or /etc/passwd (the distroless images' hallmark).
 * minimal: a shell (often busybox) but no package manager nor os-release.
 * full OS: a shell and a package manager or an os-release.
 */
export function imageKind(facts: FilesystemFacts): ImageKind {
  if (facts.shells.length === 0) return facts.libc.length > 0 || facts.hasPasswd ? 'distroless' : 'scratch';
  return facts.packageManagers.length > 0 || facts.hasOsRelease ? 'full OS' : 'minimal';
}

/** KEY=value lines of os-release(5), quotes removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    let value = match[2]!;
    if (/^".*"$/.test(value) || /^'.*'$/.test(value)) value = value.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    fields[match[1]!] = value;
  }
  return fields;
}
