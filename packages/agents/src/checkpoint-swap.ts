import { rename, rm, stat } from 'node:fs/promises';
import { readCheckpoint } from '@scale/model';

// How a training checkpoint directory is replaced, and how a run killed mid-replacement gets its
// checkpoint back. A directory cannot be renamed over a non-empty one, so the swap is two renames:
//
//   1. write the new checkpoint to `<dir>.tmp`       (killed here: `<dir>` is the previous one, whole)
//   2. rename `<dir>` to `<dir>.old`                 (killed here: no `<dir>`; `.old` and `.tmp` whole)
//   3. rename `<dir>.tmp` to `<dir>`                 (from here on `<dir>` is the new one, whole)
//   4. remove `<dir>.old`
//
// The only state without `<dir>` after a first checkpoint is between 2 and 3, and `recoverCheckpoint`
// completes it. Everything else a kill leaves (a torn `.tmp`, a stale `.old`) the next swap removes.

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

/**
 * Replaces the checkpoint in `directory` by what `write(staging)` writes, so that a kill at any
 * moment leaves a whole checkpoint (the previous or the new one) for `recoverCheckpoint` to find.
 */
export async function swapCheckpoint(directory: string, write: (staging: string) => Promise<void>): Promise<void> {
  const staging = `${directory}.tmp`;
  const previous = `${directory}.old`;
  await rm(staging, { recursive: true, force: true });
  await write(staging);
  if (await exists(directory)) {
    // A stale `.old` (a kill after an earlier swap's step 3) would make the rename below fail.
    await rm(previous, { recursive: true, force: true });
    await rename(directory, previous);
  }
  await rename(staging, directory);
  await rm(previous, { recursive: true, force: true });
}

/**
 * Whether `directory` holds a checkpoint, after completing a swap a kill interrupted between its two
 * renames: the new checkpoint (`.tmp`) is moved in when it reads back whole, else the previous one
 * (`.old`). Call it before deciding between resuming and starting over; `BaseAgent.load` calls it.
 * Meant for a run that is not running (it renames the live run's files).
 */
export async function recoverCheckpoint(directory: string): Promise<boolean> {
  if (await exists(directory)) return true;
  const staging = `${directory}.tmp`;
  const previous = `${directory}.old`;
  if (!(await exists(previous))) return false;
  const stagingWhole = await readCheckpoint(staging).then(
    () => true,
    () => false,
  );
  await rename(stagingWhole ? staging : previous, directory);
  await rm(previous, { recursive: true, force: true });
  return true;
}
