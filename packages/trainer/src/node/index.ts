export {
  type CheckpointFileSystem,
  createNodeCheckpointStore,
  NODE_FILE_SYSTEM,
  type NodeCheckpointStoreOptions,
} from './node-checkpoint-store.js';
