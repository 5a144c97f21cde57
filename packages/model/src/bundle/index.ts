/** Model bundles: finding and loading a model's weights, config and tokenizer wherever they live. */
export {
  type BundleFiles,
  isBundleFiles,
} from './bundle-files.js';
export {
  type FileSetOptions,
  fileMapFiles,
  fileSetFiles,
  type PickedFile,
} from './file-set.js';
export {
  BEST_CHECKPOINT,
  BUNDLE_FILES,
  BUNDLE_METADATA_KEYS,
  checkpointStep,
  latestStepCheckpoint,
  preferredCheckpoint,
  RUN_FOLDER,
  stepCheckpointName,
} from './layout.js';
export {
  type LoadedModelBundle,
  type LoadModelBundleOptions,
  loadModelBundle,
  type ModelFromBundleOptions,
  modelFromBundle,
} from './load-bundle.js';
export { ModelBundleError, type ModelBundlePart } from './model-bundle-error.js';
export {
  type ModelBundle,
  type ModelBundleSource,
  type ReadModelBundleOptions,
  readModelBundle,
} from './read-bundle.js';
export { type ModelUrl, parseModelUrl, type UrlFilesOptions, urlFiles } from './url-files.js';
