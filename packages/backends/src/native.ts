/**
 * `@gpt2/backends/native`: the Node native-memory CPU backend (tfjs backend
 * `'native'`): tensors are TypedArrays in Node memory, the hot kernels run in
 * this package's addon (OpenBLAS sgemm, vectorised and threaded element-wise,
 * reduction, softmax, layout and AdamW kernels). `initBackend('native')` (or
 * `'auto'` in Node, when the addon is built and finds OpenBLAS) activates it.
 */
export { DEFAULT_NATIVE_CACHE_BYTES, NativeBackend } from './kernels/native/backend.js';
export { timeNativeKernels } from './kernels/native/register.js';
export { NATIVE_BUILD_HINT, nativeProvider } from './providers/native.js';
