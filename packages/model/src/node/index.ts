/**
 * Node-only weights I/O (`@gpt2/model/node`): files and Hugging Face-style
 * model folders, read and written tensor by tensor through file handles.
 */
export { type FileSink, type OpenFileSink, openFileSink } from './atomic-write.js';
export {
  folderFiles,
  loadModelBundleFromPath,
  readModelBundleFromPath,
} from './bundle-folder.js';
export { fileReader, lazyFileReader } from './file-reader.js';
export {
  DEFAULT_LLMC_MASTER_WEIGHTS,
  LLMC_MODEL_FILE,
  LLMC_TOKENIZER_FILE,
  type LlmcRunCheckpoint,
  type LoadLlmcCheckpointFileOptions,
  listLlmcRunCheckpoints,
  loadLlmcCheckpointFile,
  loadLlmcTokenizerFile,
  type SaveLlmcCheckpointFileOptions,
  saveLlmcCheckpointFile,
  saveLlmcTokenizerFile,
} from './llmc-files.js';
export {
  CONFIG_FILE,
  type LoadModelFolderOptions,
  type LoadWeightsFromFileOptions,
  loadModelFolder,
  loadWeightsFromFile,
  type SaveModelFolderOptions,
  saveModelFolder,
  WEIGHTS_FILE,
} from './model-folder.js';
