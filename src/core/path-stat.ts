/** What an engine says about a path inside a container, resolved within the container's root. */
export type ContainerPathKind = 'file' | 'dir' | 'symlink' | 'other';

export interface ContainerPathStat {
  name: string;
  size: number;
  kind: ContainerPathKind;
  /** Unix permission bits: rwx for all three classes plus setuid (0o4000), setgid (0o2000), sticky (0o1000). */
  mode: number;
  mtime: Date;
  /** For a symlink, the engine's resolution of its target inside the container; otherwise ''. The container chose it. */
  linkTarget: string;
}
