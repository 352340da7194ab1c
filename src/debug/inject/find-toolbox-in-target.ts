/**
 * Where `sidekick shell` finds the injected toolbox without the engine's archive, for an engine
 * whose archive costs a sidekick in the target (a pod: an ephemeral container whose entry stays
 * in the pod's spec; docs/RELIABILITY.md, "inject, eject and shell on pods"). The toolbox's own
 * busybox, at each well-known prefix in turn, reads its manifest, the OS manifest and whether
 * the init is there, by an exec in the target as the target's user. That is the user the shell
 * then runs as, with that same busybox: a target that lies here gains nothing it does not have.
 * A shell as root never comes here (it checks the toolbox's owner through the archive).
 */
import { decodeManifest, MAX_MANIFEST_BYTES, OS_MANIFEST_PATH, TOOLBOX_MANIFEST_NAME, WELL_KNOWN_PREFIXES, type OsManifest, type ToolboxManifest } from '../../core/inject/injection-manifest.js';
import type { Engine } from '../../engines/engine.js';
import { INJECTED_INIT_NAME } from './inject-toolbox.js';

export interface ToolboxInTarget {
  toolbox: ToolboxManifest;
  os?: OsManifest;
  /** The init's path, when the toolbox has one. */
  init?: string;
}

/** The most a lookup prints: two manifests as large as sidekick writes them, and its lines. */
const MAX_OUTPUT_BYTES = 2 * MAX_MANIFEST_BYTES + 4096;

/**
 * Prints, for each file given that is a regular file, `FILE <index> <bytes>` and its bytes; then
 * `INIT` when the init is there. Arguments: the toolbox's bin (its applets, which a scratch
 * target's PATH has none of), the init's path, then the files.
 */
export const LOOKUP_SCRIPT = [
  'PATH=$1:$PATH; init=$2; shift 2; i=0',
  'for f in "$@"; do',
  `  if [ -f "$f" ] && n=$(wc -c < "$f") && [ "$n" -le ${MAX_MANIFEST_BYTES} ]; then echo "FILE $i $n"; cat "$f"; fi`,
  '  i=$((i + 1))',
  'done',
  '[ -f "$init" ] && echo INIT',
  'exit 0',
].join('\n');

/** The toolbox at the first prefix whose busybox answers with a manifest of that prefix; undefined when none does. */
export async function findToolboxInTarget(engine: Engine, containerId: string, extraPrefixes: readonly string[]): Promise<ToolboxInTarget | undefined> {
  for (const prefix of [...new Set([...extraPrefixes, ...WELL_KNOWN_PREFIXES])]) {
    const output = await lookUp(engine, containerId, prefix);
    if (output === undefined) continue;
    const { files, init } = parseLookup(output);
    const manifest = files.get(0) === undefined ? undefined : decodeManifest(files.get(0)!.toString('utf8')).manifest;
    // A manifest that names another prefix was copied or forged: it does not describe this directory.
    if (manifest?.kind !== 'toolbox' || manifest.prefix !== prefix) continue;
    const os = files.get(1) === undefined ? undefined : decodeManifest(files.get(1)!.toString('utf8')).manifest;
    return { toolbox: manifest, ...(os?.kind === 'os' ? { os } : {}), ...(init ? { init: `${prefix}/${INJECTED_INIT_NAME}` } : {}) };
  }
  return undefined;
}

async function lookUp(engine: Engine, containerId: string, prefix: string): Promise<Buffer | undefined> {
  try {
    const process = await engine.execInContainer(containerId, {
      command: [`${prefix}/bin/busybox`, 'sh', '-c', LOOKUP_SCRIPT, 'sidekick-lookup', `${prefix}/bin`, `${prefix}/${INJECTED_INIT_NAME}`, `${prefix}/${TOOLBOX_MANIFEST_NAME}`, OS_MANIFEST_PATH],
      tty: false,
      openStdin: false,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    process.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_OUTPUT_BYTES) chunks.push(chunk);
    });
    process.stderr.resume();
    const status = await process.exit;
    // No busybox at this prefix (the exec fails, 126 or 127), or output cut short.
    return status.code === 0 && size <= MAX_OUTPUT_BYTES ? Buffer.concat(chunks) : undefined;
  } catch {
    return undefined;
  }
}

/** The files the lookup printed, by their index among those asked for, and whether the init is there. Pure. */
export function parseLookup(output: Buffer): { files: Map<number, Buffer>; init: boolean } {
  const files = new Map<number, Buffer>();
  let offset = 0;
  let init = false;
  while (offset < output.length) {
    const newline = output.indexOf(0x0a, offset);
    if (newline < 0) break;
    const line = output.subarray(offset, newline).toString('utf8');
    offset = newline + 1;
    const header = /^FILE (\d+) (\d+)$/.exec(line);
    if (header !== null) {
      const length = Number(header[2]);
      if (offset + length > output.length) break;
      files.set(Number(header[1]), output.subarray(offset, offset + length));
      offset += length;
    } else if (line === 'INIT') init = true;
    else break;
  }
  return { files, init };
}
