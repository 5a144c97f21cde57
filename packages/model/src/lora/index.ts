/**
 * LoRA adapters for GPT-2 (browser-safe): attach, train, merge, and read or
 * write them in Hugging Face PEFT's format. Node folder helpers are on
 * `@gpt2/model/node`.
 */
export {
  DEFAULT_LORA_OPTIONS,
  LORA_TARGET_MODULES,
  type LoraConfig,
  type LoraLayerPlan,
  type LoraOptions,
  type LoraTargets,
  planLoraLayers,
  resolveLoraConfig,
} from './lora-config.js';
export { type LoraFootprint, loraFlopsPerToken, loraFootprint } from './lora-footprint.js';
export {
  type AddLoraOptions,
  addLora,
  LoraModel,
  type MergeLoraOptions,
  mergeLora,
  unmergeLora,
} from './lora-model.js';
export {
  ADAPTER_CONFIG_FILE,
  ADAPTER_WEIGHTS_FILE,
  adapterConfigText,
  type LoadLoraAdapterOptions,
  type LoraAdapterFiles,
  type LoraAdapterSource,
  loadLoraAdapter,
  loadLoraWeights,
  loraConfigToPeft,
  loraOptionsFromPeft,
  PEFT_TENSOR_PREFIX,
  type PeftLoraConfigJson,
  type SaveLoraAdapterOptions,
  saveLoraAdapter,
} from './peft-format.js';
