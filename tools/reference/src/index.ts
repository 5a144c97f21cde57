/**
 * `@gpt2/reference`: how TypeScript code reaches the PyTorch reference in this
 * folder (private; never published). Benches get the peer figure with
 * {@link runReference} (or {@link runReferenceAtBestThreads}); tests find the Python scripts with {@link referenceScript}.
 */
export {
  type BestReference,
  describeThreadRuns,
  REFERENCE_PYTHON,
  type ReferenceResult,
  type ReferenceScript,
  referenceScript,
  runReference,
  runReferenceAtBestThreads,
} from './run-reference.js';
