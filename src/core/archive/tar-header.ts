import { constants, gunzipSync } from 'node:zlib';

/**
 * Whether a file starts like a tar archive (plain or gzipped): its first 512-byte header
 * carries a valid checksum. Read before an archive is streamed, so that a file that is no tar
 * at all is named as such instead of failing deep inside the stream.
 */
export function startsLikeTar(start: Buffer): boolean {
  let block = start;
  if (start[0] === 0x1f && start[1] === 0x8b) {
    try {
      // A partial gzip: decompress what is there without asking for its end.
      block = gunzipSync(start, { finishFlush: constants.Z_SYNC_FLUSH });
    } catch {
      return false;
    }
  }
  if (block.length < 512) return false;
  const recorded = parseInt(block.subarray(148, 156).toString('latin1').replace(/\0.*$/s, '').trim(), 8);
  if (!Number.isFinite(recorded)) return false;
  let sum = 0;
  for (let i = 0; i < 512; i += 1) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === recorded;
}
