/**
 * Every contract kernel a backend of this package registers, against the
 * contract's reference chain (`describeKernelConformance`). Today: the native
 * addon's AdamWUpdate on wasm. The cpu run with reference stand-ins checks the
 * suite itself on every contract and case.
 */
import { initBackend } from '../init-backend.js';
import { createWasmBackend } from '../providers/wasm.js';
import { describeKernelConformance } from '../testing/kernel-conformance.js';
import { registerReferenceKernels } from '../testing/reference-kernels.js';
import { systemRequirement } from '../testing/require-system.js';
import { ADAMW_UPDATE } from './contracts/adamw-update.js';
import { KERNEL_CONTRACTS } from './contracts/index.js';
import { loadNativeBlas, NATIVE_BLAS_HINT } from './native/native-blas.js';

const native = await loadNativeBlas();
const hasNative = systemRequirement(
  `The native BLAS kernel (${typeof native === 'string' ? native : 'ok'})`,
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
    expect: KERNEL_CONTRACTS.map((contract) => contract.name),
  });
}
