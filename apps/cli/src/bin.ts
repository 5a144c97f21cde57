#!/usr/bin/env node
import { describeBackend, initBackend } from '@gpt2/backends';
import * as tf from '@tensorflow/tfjs-core';

// Placeholder until the CLI issue lands: a backend self-check.
const info = await initBackend('auto');
console.log(`backend: ${describeBackend(info)}`);
const n = 512;
const a = tf.randomNormal([n, n]);
const b = tf.randomNormal([n, n]);
await tf.matMul(a, b).data();
const start = performance.now();
const reps = 5;
for (let i = 0; i < reps; i++) await tf.matMul(a, b).data();
const seconds = (performance.now() - start) / 1000;
console.log(`matMul ${n}x${n}: ${((2 * n ** 3 * reps) / seconds / 1e9).toFixed(1)} GFLOP/s`);
