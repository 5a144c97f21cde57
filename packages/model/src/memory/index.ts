export { type CheckMemoryOptions, checkMemory, formatMemoryTable } from './check-memory.js';
export {
  estimateMemory,
  type LoraMemoryOptions,
  type LoraTargetName,
  type MemoryEstimate,
  type MemoryEstimateOptions,
  type MemoryItem,
} from './estimate-memory.js';
