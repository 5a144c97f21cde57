import { describe, expect, it } from 'vitest';
import { createMemoryCheckpointStore } from './memory-checkpoint-store.js';
import {
  BEST_CHECKPOINT,
  checkpointsToPrune,
  isStepCheckpoint,
  latestCheckpoint,
  stepCheckpointName,
} from './naming.js';

describe('checkpoint naming', () => {
  it('names periodic checkpoints step-NNNNNNNN and tells them from others', () => {
    expect(stepCheckpointName(100)).toBe('step-00000100');
    expect(stepCheckpointName(123456789)).toBe('step-123456789');
    expect(isStepCheckpoint('step-00000100')).toBe(true);
    expect(isStepCheckpoint(BEST_CHECKPOINT)).toBe(false);
    expect(isStepCheckpoint('step-1a')).toBe(false);
  });

  it('finds the latest step by number, not by string order', async () => {
    const store = createMemoryCheckpointStore();
    expect(await latestCheckpoint(store)).toBeUndefined();
    for (const name of ['step-9', 'step-00000010', 'best', 'manual'])
      await store.write(name, new Map());
    expect(await latestCheckpoint(store)).toBe('step-00000010');
  });

  it('prunes all but the newest keepLast step checkpoints, never best or others', () => {
    const names = ['step-00000003', 'best', 'step-00000001', 'step-00000002', 'manual'];
    expect(checkpointsToPrune(names, 2)).toEqual(['step-00000001']);
    // At least the checkpoint just written stays.
    expect(checkpointsToPrune(names, 0)).toEqual(['step-00000002', 'step-00000001']);
  });
});
