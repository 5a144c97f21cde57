/**
 * Checkpoint names: periodic `step-00000100` checkpoints, pruned to the newest
 * `keepLast`, and `best`. The name rules are @gpt2/model's bundle layout, so
 * that its bundle reader (CLI, web app) finds what the trainer writes.
 */
import {
  BEST_CHECKPOINT,
  checkpointStep,
  latestStepCheckpoint,
  stepCheckpointName,
} from '@gpt2/model';
import type { CheckpointStore } from './checkpoint-store.js';

export { BEST_CHECKPOINT, stepCheckpointName };

/** True for periodic `step-N` names, the only ones pruning deletes. */
export function isStepCheckpoint(name: string): boolean {
  return checkpointStep(name) !== undefined;
}

/** The latest `step-N` checkpoint in a store, or undefined when there is none. */
export async function latestCheckpoint(store: CheckpointStore): Promise<string | undefined> {
  return latestStepCheckpoint(await store.list());
}

/**
 * The `step-N` names to delete so that the newest `keepLast` remain (always at
 * least one: the checkpoint just written). `best` and other names are kept.
 */
export function checkpointsToPrune(names: readonly string[], keepLast: number): string[] {
  return names
    .flatMap((name) => {
      const step = checkpointStep(name);
      return step === undefined ? [] : [{ name, step }];
    })
    .sort((a, b) => b.step - a.step)
    .slice(Math.max(1, keepLast))
    .map(({ name }) => name);
}
