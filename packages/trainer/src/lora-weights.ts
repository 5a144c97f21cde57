/**
 * Checkpoints of LoRA training: the adapter, as PEFT's adapter folder. The
 * base weights are frozen, so a checkpoint holds only `adapter_model.safetensors`
 * (PEFT's tensor names) and `adapter_config.json` beside the optimizer state
 * and `trainer_state.json`: any checkpoint of the run is an adapter that
 * `--adapter`, `loadLoraAdapterFolder` and Python's `PeftModel.from_pretrained` read.
 */
import {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  adapterConfigText,
  type LoraModel,
  loadLoraWeights,
  saveLoraAdapter,
} from '@gpt2/model';
import type { TrainableModel, WeightsCodec } from './trainable-model.js';

/** True for a `LoraModel` of @gpt2/model (by shape, so duplicate installs agree). */
export function isLoraModel(model: TrainableModel): model is TrainableModel & LoraModel {
  const candidate = model as Partial<LoraModel>;
  return (
    typeof candidate.loraConfig === 'object' &&
    Array.isArray(candidate.layers) &&
    typeof candidate.base === 'object'
  );
}

function asLora(model: TrainableModel): LoraModel {
  if (!isLoraModel(model)) {
    throw new TypeError('LORA_WEIGHTS_CODEC: the model is not a LoraModel (see addLora).');
  }
  return model;
}

/** Options of {@link createLoraWeightsCodec}. */
export interface LoraWeightsCodecOptions {
  /** `base_model_name_or_path` written into adapter_config.json. Default: null. */
  baseModelNameOrPath?: string | null;
}

/**
 * A weights codec for a `LoraModel`: checkpoints hold the adapter under PEFT's
 * file names, and no copy of the frozen base. Resuming needs the same base
 * model with the same adapter configuration (`addLora` with the same options).
 */
export function createLoraWeightsCodec(options: LoraWeightsCodecOptions = {}): WeightsCodec {
  return {
    file: ADAPTER_WEIGHTS_FILE,
    writesModelConfig: false,
    async encode(model) {
      return (await saveLoraAdapter(asLora(model), options)).weights;
    },
    async sideFiles(model) {
      const text = adapterConfigText(asLora(model).loraConfig, options);
      return new Map([[ADAPTER_CONFIG_FILE, new TextEncoder().encode(text)]]);
    },
    async decode(model, bytes) {
      loadLoraWeights(asLora(model), bytes, { name: 'checkpoint' });
    },
  };
}
