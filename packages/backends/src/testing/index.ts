/**
 * Test helpers for packages that build on @gpt2/backends (Node only): gating
 * tests on system packages, a plain-JS matMul reference, the peak resident
 * memory of the process (Linux), and the kernel
 * contracts' conformance suite (`describeKernelConformance`, which needs
 * vitest) with reference stand-in kernels.
 */
export { KERNEL_CASES, type KernelCase } from './kernel-cases.js';
export {
  describeKernelConformance,
  type KernelConformanceOptions,
} from './kernel-conformance.js';
export {
  maxRelativeError,
  referenceMatMul,
  scaledError,
  seededFloats,
} from './matmul-reference.js';
export { peakRssBytes, resetPeakRss } from './peak-rss.js';
export { registerReferenceKernels } from './reference-kernels.js';
export {
  longTests,
  requireNativeBackend,
  requireSoftwareWebGpu,
  systemRequirement,
} from './require-system.js';
