/**
 * The ONNX Runtime peer of the generation bench: the project's PyTorch
 * reference model (tools/reference) exported to ONNX with a KV cache
 * (tools/reference/export_onnx.py: a prefill graph and a decode graph, I/O
 * named as transformers.js names them), run with onnxruntime-node's CPU
 * provider the way transformers.js runs a decoder: the prompt once, then one
 * token per step, each step's `present.*` fed back as the next `past_key_values.*`.
 * Greedy, batch 1; the argmax is a plain JS loop over the logits, as ours.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { GPT2Config } from '@gpt2/model';
import { REFERENCE_PYTHON, referenceScript } from '@gpt2/reference';
import type * as Ort from 'onnxruntime-node';

const EXPORT_SCRIPT = referenceScript('export_onnx.py');

/** An exported model: its folder (prefill.onnx, decode.onnx, model.safetensors, config.json). */
export interface OnnxExport {
  dir: string;
  seconds: number;
}

/**
 * Export the reference model of `config` (random weights, seed 0) into
 * `dir`, or a one-line reason there is none (no Debian torch). An export
 * already there and newer than the script is reused.
 */
export function exportOnnx(config: GPT2Config, dir: string): OnnxExport | string {
  // An export newer than the script is reused (124M takes a minute and 1.8 GB).
  const files = ['prefill.onnx', 'decode.onnx', 'model.safetensors', 'config.json'].map((f) =>
    join(dir, f),
  );
  const script = statSync(EXPORT_SCRIPT).mtimeMs;
  if (files.every((f) => existsSync(f) && statSync(f).mtimeMs > script)) return { dir, seconds: 0 };
  if (!existsSync(REFERENCE_PYTHON)) return `absent (${REFERENCE_PYTHON})`;
  mkdirSync(dir, { recursive: true });
  const options = {
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_embd: config.nEmbd,
    block_size: config.nPositions,
    vocab_size: config.vocabSize,
  };
  const run = spawnSync(REFERENCE_PYTHON, [EXPORT_SCRIPT, dir, JSON.stringify(options)], {
    encoding: 'utf8',
    timeout: 900_000,
  });
  if (run.status !== 0) {
    return `export failed (exit ${run.status}: ${run.stderr.trim().split('\n').at(-1) ?? ''})`;
  }
  const result = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as { seconds: number };
  return { dir, seconds: result.seconds };
}

/** What one timed ONNX Runtime generation gives. */
export interface OnnxRun {
  tokensPerSecond: number;
  /** The generated ids (to check against ours on the same weights). */
  tokens: number[];
}

/** Prefill and decode sessions of one export at one thread count. */
export class OnnxGenerator {
  private constructor(
    private readonly ort: typeof Ort,
    private readonly prefill: Ort.InferenceSession,
    private readonly decode: Ort.InferenceSession,
    private readonly nLayer: number,
    readonly threads: number,
  ) {}

  /** Load the graphs with `threads` intra-op threads (one inter-op thread, sequential execution, every graph optimisation). */
  static async load(dir: string, nLayer: number, threads: number): Promise<OnnxGenerator> {
    const ort = (await import('onnxruntime-node')) as typeof Ort;
    const options: Ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    };
    const prefill = await ort.InferenceSession.create(join(dir, 'prefill.onnx'), options);
    const decode = await ort.InferenceSession.create(join(dir, 'decode.onnx'), options);
    return new OnnxGenerator(ort, prefill, decode, nLayer, threads);
  }

  /** Greedy generation of `newTokens` after `prompt`, timed end to end (the prefill included). */
  async generate(prompt: readonly number[], newTokens: number): Promise<OnnxRun> {
    const { ort } = this;
    const int64 = (values: number[], shape: number[]) =>
      new ort.Tensor('int64', BigInt64Array.from(values, BigInt), shape);
    const start = performance.now();
    const tokens: number[] = [];
    let length = prompt.length;
    let outputs = await this.prefill.run({
      input_ids: int64([...prompt], [1, length]),
      attention_mask: int64(new Array(length).fill(1), [1, length]),
      position_ids: int64(
        Array.from({ length }, (_, i) => i),
        [1, length],
      ),
    });
    for (let step = 0; step < newTokens; step++) {
      const logits = outputs.logits!;
      const V = logits.dims.at(-1)!;
      const values = logits.data as Float32Array;
      const row = values.subarray(values.length - V);
      let best = 0;
      for (let i = 1; i < V; i++) if (row[i]! > row[best]!) best = i;
      tokens.push(best);
      if (step + 1 === newTokens) break;
      const feeds: Record<string, Ort.Tensor> = {
        input_ids: int64([best], [1, 1]),
        attention_mask: int64(new Array(length + 1).fill(1), [1, length + 1]),
        position_ids: int64([length], [1, 1]),
      };
      for (let i = 0; i < this.nLayer; i++) {
        feeds[`past_key_values.${i}.key`] = outputs[`present.${i}.key`]!;
        feeds[`past_key_values.${i}.value`] = outputs[`present.${i}.value`]!;
      }
      outputs = await this.decode.run(feeds);
      length++;
    }
    const seconds = (performance.now() - start) / 1000;
    return { tokensPerSecond: newTokens / seconds, tokens };
  }

  async dispose(): Promise<void> {
    await this.prefill.release();
    await this.decode.release();
  }
}
