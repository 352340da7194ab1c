/**
 * An engine's ID as people read it: a hexadecimal ID of 64 digits (Docker's containers and
 * images, with or without "sha256:") shortened to its first 12, as the docker CLI shows it;
 * any other engine's ID (a Kubernetes engine's namespace/pod/container) whole.
 */
export function shortId(id: string): string {
  const hex = id.replace(/^sha256:/, '');
  return /^[0-9a-f]{64}$/.test(hex) ? hex.slice(0, 12) : id;
}
