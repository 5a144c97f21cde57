import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { runKernel } from '../kernels/contracts/dispatch.js';
import { KERNEL_CONTRACTS } from '../kernels/contracts/index.js';
import { KERNEL_CASES } from './kernel-cases.js';
import { maxRelativeError } from './matmul-reference.js';

/** Options for {@link describeKernelConformance}. */
export interface KernelConformanceOptions {
  /**
   * Kernel names the backend must have registered after `init` (the suite
   * fails otherwise, rather than skipping them). Default: none.
   */
  expect?: readonly string[];
}

/**
 * A vitest suite that compares every contract kernel (`@gpt2/backends/kernels`)
 * registered on the backend that `init` activates with the contract's
 * reference chain, run on the same backend, on the cases of
 * `testing/kernel-cases.ts`: each output's shape, dtype and values within the
 * contract's `tolerance` (0: bit for bit), and no tensor left behind.
 * Contracts the backend does not implement are skipped. A backend adds its
 * implementations to the suite with one line:
 *
 * ```ts
 * describeKernelConformance('native', () => initBackend('native'), { expect: ['LayerNorm'] });
 * ```
 */
export function describeKernelConformance(
  label: string,
  init: () => Promise<unknown>,
  options: KernelConformanceOptions = {},
): void {
  describe(`kernel contracts on ${label}`, () => {
    beforeAll(async () => {
      await init();
    });

    it('registers the kernels it is expected to implement', () => {
      const missing = (options.expect ?? []).filter(
        (name) => tf.getKernel(name, tf.getBackend()) === undefined,
      );
      expect(missing).toEqual([]);
    });

    for (const contract of KERNEL_CONTRACTS) {
      it(`${contract.name} matches its reference chain`, async (context) => {
        const cases = KERNEL_CASES[contract.name] ?? [];
        expect(
          cases.length,
          `add cases for ${contract.name} to testing/kernel-cases.ts`,
        ).toBeGreaterThan(0);
        if (tf.getKernel(contract.name, tf.getBackend()) === undefined) {
          context.skip();
          return;
        }
        for (const testCase of cases) {
          const { inputs, attrs } = testCase.build();
          const before = tf.memory().numTensors;
          const actual = runKernel(contract, inputs, attrs);
          const expected = tf.tidy(() => [...contract.reference(inputs, attrs)]);
          const where = `${contract.name}, ${testCase.label}`;
          expect(actual.length, where).toBe(contract.outputNames.length);
          for (const [i, output] of expected.entries()) {
            const name = `${where}: ${contract.outputNames[i]}`;
            const got = actual[i]!;
            expect(got.shape, name).toEqual(output.shape);
            expect(got.dtype, name).toBe(output.dtype);
            const [gotValues, wantValues] = await Promise.all([got.data(), output.data()]);
            if (contract.tolerance === 0) {
              expect(Array.from(gotValues), name).toEqual(Array.from(wantValues));
            } else {
              expect(
                maxRelativeError(gotValues as Float32Array, wantValues as Float32Array),
                name,
              ).toBeLessThanOrEqual(contract.tolerance);
            }
          }
          tf.dispose([...actual, ...expected]);
          expect(tf.memory().numTensors, `${where}: tensors left behind`).toBe(before);
          tf.dispose(Object.values(inputs));
        }
      });
    }
  });
}
