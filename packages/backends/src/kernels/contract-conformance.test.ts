/**
 * Every contract kernel a backend of this package registers, against the
 * contract's reference chain (`describeKernelConformance`): the native addon's
 * AdamWUpdate on wasm, the native backend's kernels, and the fused WGSL kernels on webgpu (every contract
 * but the per-parameter AdamWUpdate, which AdamWUpdateMulti replaces there).
 * The cpu run with reference stand-ins checks the suite itself on every
 * contract and case.
 */
import { initBackend } from '../init-backend.js';
import { createWasmBackend } from '../providers/wasm.js';
import { createWebgpuBackend } from '../providers/webgpu.js';
import { describeKernelConformance } from '../testing/kernel-conformance.js';
import { registerReferenceKernels } from '../testing/reference-kernels.js';
import { requireSoftwareWebGpu, systemRequirement } from '../testing/require-system.js';
import { ADAMW_UPDATE } from './contracts/adamw-update.js';
import { ADAMW_UPDATE_MULTI } from './contracts/adamw-update-multi.js';
import { GPT2_BLOCK, KERNEL_CONTRACTS } from './contracts/index.js';
import { MATMUL_BIAS_GELU } from './contracts/matmul-bias-gelu.js';
import { loadOpenBlas, NATIVE_BLAS_HINT } from './native/native-blas.js';

/**
 * The contracts the native backend implements: all but the two the WGSL
 * kernels brought (it runs GELU after its own BLAS matMul, and AdamW per
 * parameter, where a kernel call costs little).
 */
const NATIVE_KERNELS = KERNEL_CONTRACTS.filter(
  (contract) => contract !== MATMUL_BIAS_GELU && contract !== ADAMW_UPDATE_MULTI,
);

/**
 * The contracts with a fused WGSL kernel on webgpu: all but the per-parameter
 * AdamW (AdamWUpdateMulti replaces it there) and the decode block (GPT2Block,
 * the native backend's).
 */
const WEBGPU_FUSED_KERNELS = KERNEL_CONTRACTS.filter(
  (contract) => contract !== ADAMW_UPDATE && contract !== GPT2_BLOCK,
);

const native = await loadOpenBlas();
const hasNative = systemRequirement(
  `The native OpenBLAS kernel (${typeof native === 'string' ? native : 'ok'})`,
  typeof native !== 'string',
  NATIVE_BLAS_HINT,
);

describeKernelConformance(
  'cpu, reference stand-ins (the suite checks itself)',
  async () => {
    await initBackend('cpu');
    registerReferenceKernels('cpu');
  },
  { expect: KERNEL_CONTRACTS.map((contract) => contract.name) },
);

describeKernelConformance('wasm + XNNPACK overrides', () =>
  initBackend(createWasmBackend({ nativeBlas: false })),
);

if (hasNative) {
  describeKernelConformance('wasm + native addon', () => initBackend('wasm'), {
    expect: [ADAMW_UPDATE.name],
  });
}

if (hasNative) {
  describeKernelConformance('native backend', () => initBackend('native'), {
    expect: NATIVE_KERNELS.map((contract) => contract.name),
  });
}

// Tests read the environment; the library takes options.
const swiftshaderPath = process.env.GPT2_SWIFTSHADER_PATH;
if (requireSoftwareWebGpu({ swiftshaderPath })) {
  describeKernelConformance(
    'webgpu, fused WGSL kernels (Dawn on SwiftShader)',
    () => initBackend(createWebgpuBackend({ swiftshaderPath })),
    { expect: WEBGPU_FUSED_KERNELS.map((contract) => contract.name) },
  );
}
