import { describe, expect, it } from 'vitest';
import { DEFAULT_TRAINING_CONFIG, resolveTrainingConfig, trainableParameters } from './config.js';

describe('resolveTrainingConfig', () => {
  it('fills defaults, including nested ones', () => {
    const config = resolveTrainingConfig({ maxSteps: 10, optimizer: { weightDecay: 0 } });
    expect(config.maxSteps).toBe(10);
    expect(config.optimizer.weightDecay).toBe(0);
    expect(config.optimizer.beta1).toBe(DEFAULT_TRAINING_CONFIG.optimizer.beta1);
  });

  it('rejects unknown keys, listing the valid ones', () => {
    expect(() => resolveTrainingConfig({ maxStep: 10 } as never)).toThrow(
      /unknown key 'maxStep'. Valid keys: maxSteps, /,
    );
    expect(() => resolveTrainingConfig({ optimizer: { beta: 0.9 } } as never)).toThrow(
      /unknown key 'optimizer.beta'/,
    );
  });

  it('rejects bad values with the field name', () => {
    expect(() => resolveTrainingConfig({ gradientAccumulationSteps: 0 })).toThrow(
      /gradientAccumulationSteps must be ≥ 1/,
    );
    expect(() => resolveTrainingConfig({ keepLast: 1.5 })).toThrow(/keepLast must be an integer/);
  });
});

describe('trainableParameters', () => {
  it('refuses variables that tfjs would give no gradient (a model under a LoRA adapter)', () => {
    const parameters = new Map([
      ['wte.weight', { trainable: true }],
      ['h.0.attn.c_attn.weight', { trainable: false }],
    ]);
    expect(() => trainableParameters(parameters, {})).toThrow(
      /'h\.0\.attn\.c_attn\.weight' is frozen .*train the LoraModel/,
    );
    expect([...trainableParameters(parameters, { layers: 1 }).keys()]).toEqual(['wte.weight']);
  });
});
