/**
 * Weights I/O (browser-safe): the safetensors codec, Hugging Face GPT-2 name
 * mapping, and loading/saving a model's variables. Node file and folder I/O
 * lives on the `@gpt2/model/node` subpath.
 */
export {
  CHECKPOINT_PREFIX,
  IGNORED_BUFFER_PATTERN,
  LINEAR_LAYOUT_TRANSPOSED_SUFFIXES,
  parameterName,
  TIED_HEAD_NAME,
  TRANSPOSED_TENSORS,
} from './checkpoint-names.js';
export {
  bfloat16ToFloat32,
  DTYPE_BYTES,
  encodeBfloat16,
  float16ToFloat32,
  float32ToBfloat16,
  float32ToFloat16,
} from './dtypes.js';
export {
  type LoadProgress,
  type LoadWeightsOptions,
  loadWeights,
  type ParameterOwner,
} from './load-weights.js';
export {
  blobReader,
  bufferReader,
  type OpenSourceOptions,
  responseReader,
  type SafetensorsReader,
  type SafetensorsSource,
  streamReader,
} from './readers.js';
export {
  type ReadSafetensorsOptions,
  readSafetensors,
  type SafetensorsFile,
  type SafetensorsInput,
  type SafetensorsTensor,
  type WriteSafetensorsOptions,
  writeSafetensors,
} from './safetensors.js';
export { SafetensorsFormatError } from './safetensors-format-error.js';
export {
  type HeaderParseOptions,
  MAX_HEADER_BYTES,
  parseHeader as parseSafetensorsHeader,
  readHeaderLength as readSafetensorsHeaderLength,
  type SafetensorsEntry,
  type SafetensorsHeader,
} from './safetensors-header.js';
export {
  DEFAULT_SAVE_DTYPE,
  type SaveSafetensorsOptions,
  saveSafetensors,
} from './save-safetensors.js';
export {
  type MisshapenTensor,
  WeightsMismatchError,
  type WrongDtypeTensor,
} from './weights-mismatch-error.js';
