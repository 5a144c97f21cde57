/**
 * Where checkpoints live. A checkpoint is a named set of files; a store writes
 * it atomically, so readers see all of it or none of it. Node has a folder
 * implementation (`@gpt2/trainer/node`); a browser can implement one on OPFS.
 */
export interface CheckpointStore {
  /** Names of the complete checkpoints, in no particular order. Half-written ones are never listed. */
  list(): Promise<string[]>;
  /**
   * Write a checkpoint atomically, replacing any checkpoint of the same name.
   * On failure, nothing of the new checkpoint is visible and the old one (if
   * any) is intact.
   * @throws CheckpointWriteError
   */
  write(name: string, files: ReadonlyMap<string, Uint8Array>): Promise<void>;
  /**
   * Read every file of a checkpoint.
   * @throws InvalidCheckpointError when there is no such checkpoint.
   */
  read(name: string): Promise<Map<string, Uint8Array>>;
  /** Delete a checkpoint; no error when it does not exist. */
  remove(name: string): Promise<void>;
  /** Where a checkpoint is, for messages (a folder path, a URL…). */
  locate(name: string): string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Throws a RangeError unless `name` is a safe checkpoint name (letters,
 * digits, `.`, `_`, `-`; not starting with `.`, which stores use for temp files).
 */
export function assertCheckpointName(name: string): void {
  if (!NAME.test(name) || name.length > 200) {
    throw new RangeError(
      `Invalid checkpoint name '${name}': use letters, digits, '.', '_' and '-', not starting with '.'.`,
    );
  }
}
