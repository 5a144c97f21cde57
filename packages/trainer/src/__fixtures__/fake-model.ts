import * as tf from '@tensorflow/tfjs-core';
import type { TrainingBatch, TrainingBatchSource } from '../batch-source.js';
import type { TrainableLossOptions, TrainableModel } from '../trainable-model.js';

let instances = 0;

/** A bigram language model (logits = table[id] + bias): tiny, but trains like the real thing. */
export class BigramModel implements TrainableModel {
  readonly table: tf.Variable;
  readonly bias: tf.Variable;
  readonly vocabSize: number;
  /** Options of every loss() call, for assertions. */
  readonly lossCalls: TrainableLossOptions[] = [];

  constructor(vocabSize: number, seed = 1) {
    this.vocabSize = vocabSize;
    const id = instances++;
    this.table = tf.tidy(() =>
      tf.variable(tf.randomNormal([vocabSize, vocabSize], 0, 0.5, 'float32', seed), true, `bigram${id}/table`),
    );
    this.bias = tf.tidy(() => tf.variable(tf.zeros([vocabSize]), true, `bigram${id}/bias`));
  }

  parameters(): Map<string, tf.Variable> {
    return new Map<string, tf.Variable>([
      ['table', this.table],
      ['bias', this.bias],
    ]);
  }

  /** Stands in for a dropout generator: advances on every training forward pass. */
  randomCalls = 0;

  getRandomState(): unknown {
    return { calls: this.randomCalls };
  }

  setRandomState(state: unknown): void {
    this.randomCalls = (state as { calls: number }).calls;
  }

  loss(ids: tf.Tensor2D, targets: tf.Tensor2D, options: TrainableLossOptions = {}): tf.Scalar {
    this.lossCalls.push(options);
    if (options.training) this.randomCalls += 1;
    return tf.tidy(() => {
      const v = this.vocabSize;
      const logits = tf.add(tf.gather(this.table, tf.reshape(ids, [-1])), this.bias); // [N, V]
      const logProbs = tf.logSoftmax(logits);
      let q = tf.cast(tf.oneHot(tf.reshape(targets, [-1]), v), 'float32');
      const eps = options.labelSmoothing ?? 0;
      if (eps > 0) q = tf.add(tf.mul(q, 1 - eps), eps / v);
      return tf.neg(tf.mean(tf.sum(tf.mul(q, logProbs), -1))) as tf.Scalar;
    });
  }

  dispose(): void {
    tf.dispose([this.table, this.bias]);
  }
}

/** Sequential windows over a token array, wrapping around; state is the cursor. */
export function createArraySource(
  tokens: ArrayLike<number>,
  batchSize: number,
  blockSize: number,
  start = 0,
): TrainingBatchSource & { cursor: number } {
  const source = {
    cursor: start,
    batchesPerEpoch: Math.floor(tokens.length / (batchSize * blockSize)),
    async next(): Promise<TrainingBatch> {
      const inputs = new Int32Array(batchSize * blockSize);
      const targets = new Int32Array(batchSize * blockSize);
      for (let i = 0; i < batchSize * blockSize; i++) {
        inputs[i] = tokens[(source.cursor + i) % tokens.length]!;
        targets[i] = tokens[(source.cursor + i + 1) % tokens.length]!;
      }
      source.cursor = (source.cursor + batchSize * blockSize) % tokens.length;
      return { inputs, targets, batchSize, blockSize };
    },
    getState() {
      return { cursor: source.cursor };
    },
    setState(state: { [key: string]: unknown }) {
      source.cursor = state.cursor as number;
    },
  };
  return source;
}

/** A deterministic token stream with bigram structure (mostly i → i+1, sometimes a jump). */
export function patternTokens(length: number, vocabSize: number): number[] {
  const out: number[] = [];
  let x = 0;
  let s = 12345;
  for (let i = 0; i < length; i++) {
    out.push(x);
    s = (s * 1103515245 + 12345) % 2147483648;
    x = s % 10 === 0 ? s % vocabSize : (x + 1) % vocabSize;
  }
  return out;
}
