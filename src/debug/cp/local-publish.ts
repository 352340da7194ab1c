/**
 * Puts what was unpacked into a staging directory in place, by rename only, so that the
 * destination sees either the whole copy or nothing (docs/RELIABILITY.md, "cp").
 *
 * Merging a staged directory into an existing one follows tar and `docker cp`: entries of the
 * same name are replaced, directories are merged. Everything that would be refused is found
 * before the first rename, so a refused copy changes nothing: a non-directory never replaces a
 * directory, and a device, FIFO or socket is never replaced at all. Symlinks already in the
 * destination are names to replace, never followed: the walk goes only into real directories.
 */
import { promises as fs, type Stats } from 'node:fs';
import path from 'node:path';
import { SidekickError } from '../../core/errors.js';
import { describeKind, lstatIfExists } from './local-destination.js';

/** Moves `staged` (a file, symlink or directory) to `final`, which is absent, a regular file or a symlink (replaced atomically when the staged entry is not a directory). */
export async function putInPlace(staged: string, final: string): Promise<void> {
  const stagedStat = await fs.lstat(staged);
  const existing = await lstatIfExists(final);
  if (existing !== undefined) assertReplaceable(stagedStat, existing, final);
  // rename(2) replaces a file or symlink in one step, but cannot put a directory over a non-directory.
  if (existing !== undefined && stagedStat.isDirectory()) await fs.unlink(final);
  await fs.rename(staged, final);
}

/**
 * Merges the contents of the staged directory `staged` into the real directory `destination`.
 * `copyDirectoryMetadata`: give `destination` the staged directory's mode and times (a copied
 * directory merged into one of the same name), not for a destination the user named.
 */
export async function mergeInto(staged: string, destination: string, copyDirectoryMetadata: boolean): Promise<void> {
  await preflight(staged, destination);
  await merge(staged, destination, copyDirectoryMetadata);
}

function assertReplaceable(staged: Stats, existing: Stats, where: string): void {
  if (existing.isDirectory() && !staged.isDirectory()) {
    throw new SidekickError('BAD_USAGE', `cannot copy ${describeKind(staged)} over the directory ${where}.`, { hint: 'Choose another destination, or remove the directory first.' });
  }
  if (!existing.isFile() && !existing.isSymbolicLink() && !existing.isDirectory()) {
    throw new SidekickError('BAD_USAGE', `${where} is ${describeKind(existing)}; sidekick cp does not replace it.`, { hint: 'Choose another destination.' });
  }
  if (existing.isFile() && staged.isDirectory()) {
    throw new SidekickError('BAD_USAGE', `cannot copy a directory over the file ${where}.`, { hint: 'Choose a directory or a new name as the destination.' });
  }
}

async function preflight(staged: string, destination: string): Promise<void> {
  await makeSearchable(staged);
  for (const name of await fs.readdir(staged)) {
    const from = path.join(staged, name);
    const to = path.join(destination, name);
    const stagedStat = await fs.lstat(from);
    const existing = await lstatIfExists(to);
    if (existing === undefined) continue;
    if (stagedStat.isDirectory() && existing.isDirectory()) {
      await preflight(from, to);
      continue;
    }
    // A symlink in the way of a directory is replaced, as tar does; any other mismatch is refused.
    if (stagedStat.isDirectory() && existing.isSymbolicLink()) continue;
    assertReplaceable(stagedStat, existing, to);
  }
}

async function merge(staged: string, destination: string, copyDirectoryMetadata: boolean): Promise<void> {
  const stagedStat = await fs.lstat(staged);
  for (const name of await fs.readdir(staged)) {
    const from = path.join(staged, name);
    const to = path.join(destination, name);
    const existing = await lstatIfExists(to);
    if (existing?.isDirectory() && (await fs.lstat(from)).isDirectory()) {
      await merge(from, to, true);
    } else {
      await putInPlace(from, to);
    }
  }
  if (copyDirectoryMetadata) {
    const mode = originalModes.get(staged) ?? stagedStat.mode;
    await fs.chmod(destination, mode & 0o7777);
    await fs.utimes(destination, stagedStat.atime, stagedStat.mtime);
  }
}

/** Modes of staged directories before makeSearchable opened them up. */
const originalModes = new Map<string, number>();

/** The archive may have made a staged directory read-only; moving its entries out needs write and search. */
async function makeSearchable(directory: string): Promise<void> {
  const stat = await fs.lstat(directory);
  if ((stat.mode & 0o700) === 0o700) return;
  originalModes.set(directory, stat.mode);
  await fs.chmod(directory, (stat.mode & 0o7777) | 0o700);
  // chmod changed no time, but keep the staged times for the copy.
  await fs.utimes(directory, stat.atime, stat.mtime);
}
