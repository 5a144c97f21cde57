/**
 * Test helpers for packages that build on @gpt2/backends (Node only): gating
 * tests on system packages, and a plain-JS matMul reference.
 */
export { maxRelativeError, referenceMatMul, seededFloats } from './matmul-reference.js';
export { longTests, requireSoftwareWebGpu, systemRequirement } from './require-system.js';
