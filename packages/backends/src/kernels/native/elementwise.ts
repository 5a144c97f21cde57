import type {
  AddNInputs,
  CastAttrs,
  DataType,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { util } from '@tensorflow/tfjs-core';
import type { NativeBackend, NativeStorage } from './backend.js';
import { BINARY_OP, UNARY_OP } from './native-kernels.js';
import { broadcastPlan } from './plans.js';

const COMPARISONS = new Set<string>([
  'Equal',
  'NotEqual',
  'Less',
  'LessEqual',
  'Greater',
  'GreaterEqual',
]);

/** A float32 binary op with broadcasting; other dtypes and ranks go to the stock kernel. */
export function createNativeBinary(
  name: keyof typeof BINARY_OP,
  stock: KernelConfig,
): KernelConfig {
  const op = BINARY_OP[name];
  const outDtype: DataType = COMPARISONS.has(name) ? 'bool' : 'float32';
  const kernelFunc: KernelFunc = (args) => {
    const a = args.inputs.a as TensorInfo;
    const b = args.inputs.b as TensorInfo;
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock.kernelFunc(args);
    const { outShape, plan } = broadcastPlan(a.shape, b.shape);
    if (!plan) return stock.kernelFunc(args);
    const backend = args.backend as unknown as NativeBackend;
    const out = backend.allocate(outDtype, util.sizeFromShape(outShape)) as
      | Float32Array
      | Uint8Array;
    backend.addon.binary(
      op,
      backend.values(a) as Float32Array,
      backend.values(b) as Float32Array,
      out,
      plan,
    );
    return backend.output(outShape, outDtype, out);
  };
  return { kernelName: name, backendName: 'native', kernelFunc };
}

/** A float32 unary op; other dtypes go to the stock kernel. */
export function createNativeUnary(name: keyof typeof UNARY_OP, stock: KernelConfig): KernelConfig {
  const op = UNARY_OP[name];
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype !== 'float32') return stock.kernelFunc(args);
    const backend = args.backend as unknown as NativeBackend;
    const out = backend.allocate('float32', util.sizeFromShape(x.shape)) as Float32Array;
    backend.addon.unary(op, backend.values(x) as Float32Array, out);
    return backend.output(x.shape, 'float32', out);
  };
  return { kernelName: name, backendName: 'native', kernelFunc };
}

/** `Select` (tf.where) when the condition and both branches have one shape. */
export function createNativeSelect(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const { condition, t, e } = args.inputs as Record<string, TensorInfo>;
    const size = util.sizeFromShape(t!.shape);
    const fourBytes = (dtype: DataType) => dtype === 'float32' || dtype === 'int32';
    if (
      condition!.dtype !== 'bool' ||
      t!.dtype !== e!.dtype ||
      !fourBytes(t!.dtype) ||
      !util.arraysEqual(condition!.shape, t!.shape) ||
      !util.arraysEqual(t!.shape, e!.shape)
    ) {
      return stock.kernelFunc(args);
    }
    const backend = args.backend as unknown as NativeBackend;
    const out = backend.allocate(t!.dtype, size) as Float32Array | Int32Array;
    backend.addon.select(
      backend.values(condition!) as Uint8Array,
      backend.values(t!) as Float32Array | Int32Array,
      backend.values(e!) as Float32Array | Int32Array,
      out,
    );
    return backend.output(t!.shape, t!.dtype, out);
  };
  return { kernelName: 'Select', backendName: 'native', kernelFunc };
}

/** `AddN` of float32 tensors (gradient accumulation). */
export function createNativeAddN(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const tensors = args.inputs as unknown as AddNInputs as unknown as TensorInfo[];
    const first = tensors[0];
    if (
      !first ||
      tensors.length > 256 ||
      tensors.some((t) => t.dtype !== 'float32' || !util.arraysEqual(t.shape, first.shape))
    ) {
      return stock.kernelFunc(args);
    }
    const backend = args.backend as unknown as NativeBackend;
    const out = backend.allocate('float32', util.sizeFromShape(first.shape)) as Float32Array;
    backend.addon.addN(
      tensors.map((t) => backend.values(t) as Float32Array),
      out,
    );
    return backend.output(first.shape, 'float32', out);
  };
  return { kernelName: 'AddN', backendName: 'native', kernelFunc };
}

const NATIVE_CASTS = new Set([
  'int32>float32',
  'bool>float32',
  'bool>int32',
  'float32>bool',
  'int32>bool',
]);

/** `Cast` between float32, int32 and bool (float32 → int32 and the rest: stock). */
export function createNativeCast(stock: KernelConfig): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { dtype } = args.attrs as unknown as CastAttrs;
    if (!NATIVE_CASTS.has(`${x.dtype}>${dtype}`)) return stock.kernelFunc(args);
    const backend = args.backend as unknown as NativeBackend;
    const out: NativeStorage = backend.allocate(dtype, util.sizeFromShape(x.shape));
    backend.addon.cast(backend.values(x), out);
    return backend.output(x.shape, dtype, out);
  };
  return { kernelName: 'Cast', backendName: 'native', kernelFunc };
}
