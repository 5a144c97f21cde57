import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { initBackend, trackMemory } from '@gpt2/backends';
import { ADAMW_UPDATE } from '@gpt2/backends/kernels';
import { requireNativeBackend } from '@gpt2/backends/testing';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from './adamw.js';
import { clipCoefficient, globalNorm } from './clip.js';

beforeAll(async () => {
  await initBackend('cpu');
});

/** torch.optim.AdamW's update, transcribed in float64 as an independent oracle. */
function referenceAdamW(
  params: number[][],
  gradsPerStep: number[][][],
  decays: boolean[],
  lrs: number[],
  h: { beta1: number; beta2: number; eps: number; weightDecay: number },
): number[][] {
  const p = params.map((x) => [...x]);
  const m = params.map((x) => x.map(() => 0));
  const v = params.map((x) => x.map(() => 0));
  gradsPerStep.forEach((grads, s) => {
    const t = s + 1;
    const lr = lrs[s]!;
    const bc1 = 1 - h.beta1 ** t;
    const bc2 = Math.sqrt(1 - h.beta2 ** t);
    p.forEach((values, i) => {
      values.forEach((_, j) => {
        const g = grads[i]![j]!;
        if (decays[i]) values[j] = values[j]! * (1 - lr * h.weightDecay);
        m[i]![j] = m[i]![j]! * h.beta1 + (1 - h.beta1) * g;
        v[i]![j] = v[i]![j]! * h.beta2 + (1 - h.beta2) * g * g;
        values[j] = values[j]! - (lr / bc1) * (m[i]![j]! / (Math.sqrt(v[i]![j]!) / bc2 + h.eps));
      });
    });
  });
  return p;
}

function pseudoRandom(seed: number, n: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

describe('AdamW', () => {
  const hyper = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

  it('matches a float64 transcription of torch.optim.AdamW over 20 steps', () => {
    const w0 = pseudoRandom(1, 12);
    const b0 = pseudoRandom(2, 4);
    const w = tf.variable(tf.tensor2d(w0, [3, 4]));
    const b = tf.variable(tf.tensor1d(b0));
    const opt = new AdamW(
      new Map<string, tf.Variable>([
        ['w', w],
        ['b', b],
      ]),
      hyper,
    );
    expect([...opt.decayedParameters]).toEqual(['w']);
    const grads: number[][][] = [];
    const lrs: number[] = [];
    for (let s = 0; s < 20; s++) {
      const gw = pseudoRandom(100 + s, 12);
      const gb = pseudoRandom(200 + s, 4);
      grads.push([gw, gb]);
      lrs.push(1e-2 * (1 - s / 40));
      const g = new Map<string, tf.Tensor>([
        ['w', tf.tensor2d(gw, [3, 4])],
        ['b', tf.tensor1d(gb)],
      ]);
      opt.apply(g, lrs[s]!);
      tf.dispose([...g.values()]);
    }
    const expected = referenceAdamW([w0, b0], grads, [true, false], lrs, hyper);
    const actualW = Array.from(w.dataSync());
    const actualB = Array.from(b.dataSync());
    actualW.forEach((x, i) => {
      expect(x).toBeCloseTo(expected[0]![i]!, 5);
    });
    actualB.forEach((x, i) => {
      expect(x).toBeCloseTo(expected[1]![i]!, 5);
    });
    expect(opt.step).toBe(20);
    opt.dispose();
    tf.dispose([w, b]);
  });

  it('decays only rank ≥ 2 parameters, decoupled from the gradient', () => {
    const w = tf.variable(tf.ones([2, 2]));
    const b = tf.variable(tf.ones([2]));
    const opt = new AdamW(
      new Map<string, tf.Variable>([
        ['w', w],
        ['b', b],
      ]),
      { weightDecay: 0.5 },
    );
    const zero = new Map<string, tf.Tensor>([
      ['w', tf.zeros([2, 2])],
      ['b', tf.zeros([2])],
    ]);
    opt.apply(zero, 0.1);
    // With zero gradients, Adam's step is 0/(0+eps) = 0: only the decay moves w.
    expect(Array.from(w.dataSync())).toEqual(Array(4).fill(Math.fround(1 - 0.1 * 0.5)));
    expect(Array.from(b.dataSync())).toEqual([1, 1]);
    tf.dispose([...zero.values(), w, b]);
    opt.dispose();
  });

  it('round-trips its state and keeps tensor count flat', () => {
    const w = tf.variable(tf.tensor2d([1, 2, 3, 4], [2, 2]));
    const opt = new AdamW(new Map([['w', w]]));
    const g = new Map<string, tf.Tensor>([['w', tf.tensor2d([0.1, -0.2, 0.3, -0.4], [2, 2])]]);
    opt.apply(g, 0.01);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 10; i++) opt.apply(g, 0.01);
    expect(tf.memory().numTensors).toBe(before);
    const state = opt.getState();
    const copy = tf.variable(tf.clone(w));
    const other = new AdamW(new Map([['w', copy]]));
    other.setState(state);
    expect(other.step).toBe(11);
    opt.apply(g, 0.01);
    other.apply(g, 0.01);
    expect(Array.from(copy.dataSync())).toEqual(Array.from(w.dataSync()));
    expect(() => other.setState({ step: 1, tensors: new Map() })).toThrow(/lacks 'm.w'/);
    tf.dispose([...state.tensors.values(), ...g.values(), w, copy]);
    opt.dispose();
    other.dispose();
  });

  it('rejects bad hyperparameters and missing gradients', () => {
    const w = tf.variable(tf.ones([2, 2]));
    expect(() => new AdamW(new Map([['w', w]]), { beta2: 1 })).toThrow(RangeError);
    const opt = new AdamW(new Map([['w', w]]));
    expect(() => opt.apply(new Map(), 0.1)).toThrow(/no gradient for parameter 'w'/);
    opt.dispose();
    w.dispose();
  });

  const python = '/usr/bin/python3';
  const hasTorch =
    existsSync(python) &&
    (() => {
      try {
        execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore' });
        return true;
      } catch {
        return false;
      }
    })();

  it.skipIf(!hasTorch)('matches torch.optim.AdamW itself, with clipping, on plain tensors', () => {
    const w0 = pseudoRandom(7, 6);
    const b0 = pseudoRandom(8, 3);
    const grads = Array.from({ length: 8 }, (_, s) => [
      pseudoRandom(300 + s, 6).map((x) => x * 3),
      pseudoRandom(400 + s, 3).map((x) => x * 3),
    ]);
    const script = `
import json, sys, torch
d = json.loads(sys.stdin.read())
w = torch.nn.Parameter(torch.tensor(d['w'], dtype=torch.float32).reshape(2, 3))
b = torch.nn.Parameter(torch.tensor(d['b'], dtype=torch.float32))
opt = torch.optim.AdamW([{'params': [w], 'weight_decay': 0.1}, {'params': [b], 'weight_decay': 0.0}], lr=0.01, betas=(0.9, 0.95), eps=1e-8)
norms = []
for gw, gb in d['grads']:
    w.grad = torch.tensor(gw, dtype=torch.float32).reshape(2, 3)
    b.grad = torch.tensor(gb, dtype=torch.float32)
    norms.append(float(torch.nn.utils.clip_grad_norm_([w, b], 1.0)))
    opt.step()
print(json.dumps({'w': w.detach().flatten().tolist(), 'b': b.detach().tolist(), 'norms': norms}))
`;
    const out = JSON.parse(
      execFileSync(python, ['-c', script], {
        input: JSON.stringify({ w: w0, b: b0, grads }),
      }).toString(),
    ) as { w: number[]; b: number[]; norms: number[] };

    const w = tf.variable(tf.tensor2d(w0, [2, 3]));
    const b = tf.variable(tf.tensor1d(b0));
    const opt = new AdamW(
      new Map<string, tf.Variable>([
        ['w', w],
        ['b', b],
      ]),
      hyper,
    );
    grads.forEach(([gw, gb], s) => {
      const g = new Map<string, tf.Tensor>([
        ['w', tf.tensor2d(gw!, [2, 3])],
        ['b', tf.tensor1d(gb!)],
      ]);
      const normTensor = globalNorm(g.values());
      const norm = normTensor.dataSync()[0]!;
      expect(norm).toBeCloseTo(out.norms[s]!, 5);
      opt.apply(g, 0.01, clipCoefficient(norm, 1.0));
      tf.dispose([normTensor, ...g.values()]);
    });
    const maxError = Math.max(
      ...Array.from(w.dataSync()).map((x, i) => Math.abs(x - out.w[i]!)),
      ...Array.from(b.dataSync()).map((x, i) => Math.abs(x - out.b[i]!)),
    );
    expect(maxError).toBeLessThan(1e-6);
    opt.dispose();
    tf.dispose([w, b]);
  });
});

const FUSED_BACKENDS = [
  'wasm',
  ...((await requireNativeBackend()) ? (['native'] as const) : []),
] as const;

describe.each(FUSED_BACKENDS)('AdamW with a fused kernel on %s', (backend) => {
  it("updates in place with the op chain's numbers bit for bit, and keeps tensor count flat", async (context) => {
    await initBackend(backend);
    // @gpt2/backends registers it on wasm when its native addon is built, and always on native.
    const kernel = tf.getKernel(ADAMW_UPDATE.name, backend);
    if (!kernel) {
      await initBackend('cpu');
      context.skip('no fused AdamW kernel: the native addon of @gpt2/backends is not built');
      return;
    }
    // w is large enough (8 KiB) for the native backend to track its buffer, so it is updated in place.
    const run = () => {
      // Created as the model creates its parameters: the initial tensor released.
      const [w, b] = [
        tf.tensor2d(pseudoRandom(3, 2048), [64, 32]),
        tf.tensor1d(pseudoRandom(4, 8)),
      ].map((initial) => {
        const variable = tf.variable(initial);
        initial.dispose();
        return variable;
      }) as [tf.Variable, tf.Variable];
      const opt = new AdamW(
        new Map<string, tf.Variable>([
          ['w', w],
          ['b', b],
        ]),
      );
      const before = tf.memory().numTensors;
      let stepPeak = 0;
      for (let s = 0; s < 5; s++) {
        const g = new Map<string, tf.Tensor>([
          ['w', tf.tensor2d(pseudoRandom(300 + s, 2048), [64, 32])],
          ['b', tf.tensor1d(pseudoRandom(400 + s, 8))],
        ]);
        const memory = trackMemory();
        const live = memory.liveBytes;
        opt.apply(g, 3e-2, s % 2 === 0 ? 1 : 0.37); // with and without a clipping scale
        stepPeak = Math.max(stepPeak, memory.peakBytes - live);
        memory.stop();
        tf.dispose([...g.values()]);
      }
      expect(tf.memory().numTensors).toBe(before);
      // The step's extra memory beyond its inputs: none in place; the new w, m and v otherwise.
      if (tf.getKernel(ADAMW_UPDATE.name, backend)) expect(stepPeak).toBeLessThan(2048 * 4);
      else expect(stepPeak).toBeGreaterThanOrEqual(3 * 2048 * 4);
      const state = opt.getState();
      const values = [w, b, ...state.tensors.values()].map((t) => Array.from(t.dataSync()));
      opt.dispose();
      tf.dispose([w, b, ...state.tensors.values()]);
      return values;
    };
    try {
      const fused = run();
      tf.unregisterKernel(ADAMW_UPDATE.name, backend);
      const chain = run();
      expect(fused).toEqual(chain);
    } finally {
      if (!tf.getKernel(ADAMW_UPDATE.name, backend)) tf.registerKernel(kernel);
      await initBackend('cpu');
    }
  });
});

describe('clipping', () => {
  it('clipCoefficient follows clip_grad_norm_', () => {
    expect(clipCoefficient(0.5, 1)).toBe(1);
    expect(clipCoefficient(4, 1)).toBeCloseTo(0.25, 6);
    expect(clipCoefficient(4, 0)).toBe(1);
  });
  it('globalNorm is the L2 norm over all tensors', () => {
    const a = tf.tensor1d([3]);
    const b = tf.tensor2d([4, 0], [1, 2]);
    const n = globalNorm([a, b]);
    expect(n.dataSync()[0]).toBeCloseTo(5, 6);
    tf.dispose([a, b, n]);
  });
});
