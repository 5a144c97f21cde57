/**
 * No silent GPU errors, on Dawn with SwiftShader: what the device would have
 * rejected (and tfjs would have turned into garbage) becomes a WebGpuError
 * that names the program and the limit, at the op or at the next `data()`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebGpuError } from '../errors/webgpu-error.js';
import { describeBackend, initBackend } from '../init-backend.js';
import { createWebgpuBackend } from '../providers/webgpu.js';
import { requireSoftwareWebGpu } from '../testing/require-system.js';
import type { BackendInfo } from '../types.js';
import { checkWebGpuErrors } from './device-errors.js';

// Tests read the environment; the library takes options.
const swiftshaderPath = process.env.GPT2_SWIFTSHADER_PATH;
const ready = requireSoftwareWebGpu({ swiftshaderPath });
const MIB = 1024 * 1024;

/**
 * A deliberately broken program: 64 KiB of workgroup memory, over every
 * adapter's `maxComputeWorkgroupStorageSize` (32 KiB on SwiftShader), so the
 * device rejects its pipeline. It passes the checks made before dispatch.
 */
class OversizedWorkgroupProgram {
  variableNames = ['x'];
  outputShape: number[];
  shaderKey = 'oversizedWorkgroup';
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  constructor(shape: number[]) {
    this.outputShape = shape;
    this.dispatchLayout = { x: shape.map((_, i) => i) };
    this.dispatch = [Math.ceil(shape.reduce((a, b) => a * b, 1) / 64), 1, 1];
  }
  getUserCode(): string {
    return `
      var<workgroup> scratch: array<f32, 16384>;
      fn main(index: i32) {
        if (index < uniforms.size) {
          scratch[index % 16384] = getXByOutputIndex(index);
          setOutputAtIndex(index, scratch[index % 16384] + 1.0);
        }
      }`;
  }
}

interface RunsPrograms {
  runWebGPUProgram(program: unknown, inputs: tf.TensorInfo[], dtype: string): tf.TensorInfo;
}

function seeded(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out[i] = s / 2147483648 - 0.5;
  }
  return out;
}

describe.runIf(ready)('WebGPU errors surface (Dawn on SwiftShader)', () => {
  describe("on WebGPU's default limits, with tfjs's stock kernels", () => {
    let info: BackendInfo;
    beforeAll(async () => {
      info = await initBackend(
        createWebgpuBackend({ swiftshaderPath, limits: 'default', kernelOverrides: false }),
      );
    });

    it('reports the limits the device has', () => {
      expect(info.limits?.maxStorageBuffersPerShaderStage).toBe(8);
      expect(info.limits?.maxStorageBufferBindingSize).toBe(128 * MIB);
      expect(info.patches).toEqual([]);
      expect(describeBackend(info)).toMatch(/8 storage buffers\/stage, 128 MiB\/binding/);
    });

    it('the stock AddN over 29 tensors (the wrong grad norm) fails at the op, naming program and limit', async () => {
      const before = tf.memory().numTensors;
      const tensors = Array.from({ length: 29 }, (_, i) => tf.tensor1d(seeded(5, i + 1)));
      let caught: unknown;
      try {
        tf.addN(tensors);
      } catch (error) {
        caught = error;
      }
      tf.dispose(tensors);
      expect(WebGpuError.isInstance(caught)).toBe(true);
      const error = caught as WebGpuError;
      expect(error.kind).toBe('limit');
      expect(error.limit).toBe('maxStorageBuffersPerShaderStage');
      expect(error.required).toBe(30);
      expect(error.available).toBe(8);
      expect(error.programs).toEqual(['AddNPackedProgram (addN)']);
      expect(error.message).toMatch(/AddNPackedProgram \(addN\) binds 30 storage buffers/);
      // SwiftShader's adapter offers 12: the hint says to request it.
      expect(error.hint).toMatch(/this adapter offers 12/);
      expect(tf.memory().numTensors).toBe(before);
      // Nothing was dispatched: the backend carries on.
      expect(Array.from(await tf.add(tf.scalar(1), tf.scalar(2)).data())).toEqual([3]);
    });

    it('a program the device rejects fails the next data(), naming the program, once', async () => {
      const x = tf.tensor1d(seeded(100, 3));
      const backend = tf.backend() as unknown as RunsPrograms;
      const info = backend.runWebGPUProgram(new OversizedWorkgroupProgram([100]), [x], 'float32');
      const bad = tf.engine().makeTensorFromTensorInfo(info);
      const y = tf.mul(x, 2);
      await expect(y.data()).rejects.toSatisfy((error: unknown) => {
        const e = error as WebGpuError;
        return (
          WebGpuError.isInstance(e) &&
          e.kind === 'validation' &&
          e.programs[0] === 'OversizedWorkgroupProgram (oversizedWorkgroup)' &&
          e.limit === 'maxComputeWorkgroupStorageSize' &&
          e.available === 16384 &&
          /total use of workgroup storage \(65536 bytes\) is larger than the maximum/.test(
            e.message,
          ) &&
          /results of its batch are invalid/.test(e.hint)
        );
      });
      // Reported once; the next read is good.
      const z = tf.mul(x, 3);
      const expected = Array.from(seeded(100, 3), (v) => Math.fround(v * 3));
      expect(Array.from(await z.data())).toEqual(expected);
      tf.dispose([x, bad, y, z]);
    });

    it('checkWebGpuErrors reports without reading a tensor', async () => {
      const x = tf.tensor1d(seeded(10, 4));
      const backend = tf.backend() as unknown as RunsPrograms;
      const bad = tf
        .engine()
        .makeTensorFromTensorInfo(
          backend.runWebGPUProgram(new OversizedWorkgroupProgram([10]), [x], 'float32'),
        );
      await expect(checkWebGpuErrors(tf.backend())).rejects.toThrow(/OversizedWorkgroupProgram/);
      await expect(checkWebGpuErrors(tf.backend())).resolves.toBeUndefined();
      tf.dispose([x, bad]);
    });

    it('a tensor over the 128 MiB binding fails at the op, before any allocation', () => {
      const elements = (128 * MIB) / 4 + 1024;
      let caught: unknown;
      try {
        tf.fill([elements], 1.5);
      } catch (error) {
        caught = error;
      }
      expect(WebGpuError.isInstance(caught)).toBe(true);
      const error = caught as WebGpuError;
      expect(error.kind).toBe('limit');
      expect(error.limit).toBe('maxStorageBufferBindingSize');
      expect(error.available).toBe(128 * MIB);
      expect(error.required).toBe(elements * 4);
      expect(error.message).toMatch(
        /needs a 128 MiB tensor in one binding; this device allows 128 MiB/,
      );
      expect(error.hint).toMatch(/this adapter offers 1 GiB/);
    });
  });

  describe("on the adapter's limits (the default)", () => {
    let info: BackendInfo;
    beforeAll(async () => {
      info = await initBackend(createWebgpuBackend({ swiftshaderPath }));
    });
    afterAll(async () => {
      await initBackend('cpu');
    });

    it('requests and reports what the adapter offers', () => {
      // SwiftShader in Dawn offers 12 storage buffers per stage and 1 GiB bindings and buffers.
      expect(info.limits?.maxStorageBuffersPerShaderStage).toBeGreaterThan(8);
      expect(info.limits?.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(1024 * MIB);
      expect(info.limits?.maxBufferSize).toBeGreaterThanOrEqual(1024 * MIB);
      expect(info.patches).toContain('AddN (chunked)');
      const line = describeBackend(info);
      console.log(`webgpu backend: ${line}`);
      expect(line).toMatch(/\d+ storage buffers\/stage, 1 GiB\/binding, 1 GiB\/buffer/);
    });

    it('a tensor over 128 MiB now fits in one binding', async () => {
      const x = tf.fill([(160 * MIB) / 4], 0.5);
      const total = tf.sum(x);
      expect((await total.data())[0]).toBeCloseTo((160 * MIB) / 8, -3);
      tf.dispose([x, total]);
    });
  });
});
