/**
 * `@gpt2/reference`: how TypeScript code reaches the PyTorch reference in this
 * folder (private; never published). Benches get the peer figure with
 * {@link runReference}; tests find the Python scripts with {@link referenceScript}.
 */
export {
  REFERENCE_PYTHON,
  type ReferenceResult,
  type ReferenceScript,
  referenceScript,
  runReference,
} from './run-reference.js';
