import { describe, expect, it } from 'vitest';
import { UserError } from './errors/user-error.js';
import {
  applyOverrides,
  checkTrainFileKeys,
  loraOptionsFromSection,
  overridePath,
  parseOverrideValue,
} from './train-config.js';

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (UserError.isInstance(error)) return error.message;
    throw error;
  }
  throw new Error('expected a UserError');
}

describe('train config', () => {
  it('routes bare, kebab and dotted keys to their section', () => {
    expect(overridePath('maxSteps')).toEqual(['training', 'maxSteps']);
    expect(overridePath('max-steps')).toEqual(['training', 'maxSteps']);
    expect(overridePath('n_layer')).toEqual(['model', 'nLayer']);
    expect(overridePath('batch-size')).toEqual(['data', 'batchSize']);
    expect(overridePath('weightDecay')).toEqual(['training', 'optimizer', 'weightDecay']);
    expect(overridePath('schedule.type')).toEqual(['training', 'schedule', 'type']);
    expect(overridePath('model.preset')).toEqual(['model', 'preset']);
  });

  it('lists the valid keys for an unknown one', () => {
    expect(messageOf(() => overridePath('bogus'))).toMatch(
      /Unknown config key 'bogus'. Valid keys: .*training.maxSteps/,
    );
    expect(messageOf(() => checkTrainFileKeys({ training: { maxStep: 3 } }, 'x.json'))).toMatch(
      /x.json: unknown config key 'training.maxStep'. Did you mean 'training.maxSteps'\? Valid keys in 'training': maxSteps/,
    );
    expect(messageOf(() => checkTrainFileKeys({ modle: {} }, 'x.json'))).toMatch(
      /Valid keys: model, data/,
    );
  });

  it('applies overrides with JSON values without touching the input', () => {
    const file = { model: { preset: 'gpt2-tiny' }, training: { maxSteps: 5 } };
    const result = applyOverrides(file, [
      ['maxSteps', '10'],
      ['model.nLayer', '3'],
      ['schedule', '{"type":"constant","lr":0.001}'],
      ['data.mode', 'epoch'],
    ]);
    expect(result).toEqual({
      model: { preset: 'gpt2-tiny', nLayer: 3 },
      training: { maxSteps: 10, schedule: { type: 'constant', lr: 0.001 } },
      data: { mode: 'epoch' },
    });
    expect(file.training.maxSteps).toBe(5);
    expect(parseOverrideValue('abc')).toBe('abc');
    expect(parseOverrideValue('true')).toBe(true);
  });
});

describe('lora section', () => {
  it('takes --lora.* overrides and comma-separated targets', () => {
    const file = applyOverrides({}, [
      ['lora.r', '8'],
      ['lora.alpha', '16'],
      ['lora.targets', 'c_attn,c_proj'],
      ['init-from', 'gpt2-hf'],
    ]);
    expect(file).toEqual({
      lora: { r: 8, alpha: 16, targets: 'c_attn,c_proj' },
      initFrom: 'gpt2-hf',
    });
    expect(loraOptionsFromSection(file.lora!)).toEqual({
      r: 8,
      alpha: 16,
      targets: ['c_attn', 'c_proj'],
    });
    expect(loraOptionsFromSection({ targets: 'all-linear' })).toEqual({ targets: 'all-linear' });
    expect(overridePath('alpha')).toEqual(['lora', 'alpha']);
    expect(messageOf(() => overridePath('layers'))).toMatch(
      /ambiguous: use one of training.freeze.layers, lora.layers/,
    );
    expect(messageOf(() => applyOverrides({}, [['lora.rank', '8']]))).toMatch(
      /unknown config key 'lora.rank'.*Valid keys in 'lora': r, alpha, dropout, targets, useRslora, layers/,
    );
  });
});
