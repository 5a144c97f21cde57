/**
 * One training run in the browser, with pause/resume/stop: either a small
 * GPT-2 from scratch (tokenizer from the text), or LoRA adapters on a loaded
 * model (its tokenizer), through the @gpt2/trainer loop.
 */
import { createBatchSampler, tokenDatasetFromArray } from '@gpt2/data';
import { addLora, GPT2Model, type LoraModel, resolveConfig } from '@gpt2/model';
import { CharTokenizer, type Tokenizer, trainBpe } from '@gpt2/tokenizer';
import {
  createTrainer,
  type TrainableModel,
  type TrainerEvent,
  type TrainingBatchSource,
} from '@gpt2/trainer';
import type { LoadedModel } from './model-loader.js';
import type { EventOf, LoraTrainSettings, TrainSettings, TrainState } from './protocol.js';
import { yieldToEventLoop } from './yield.js';

/** Share of the tokens held out for validation. */
export const VALIDATION_FRACTION = 0.1;
/** Validation batches per evaluation: few, so evaluation stays short next to training. */
export const EVAL_BATCHES = 4;

/** Options for {@link TrainingSession.run}. */
export interface TrainingRunOptions {
  /** Streams progress to the page. */
  emit: (event: EventOf<'train'>) => void;
  /** From scratch: called once the model exists, before the first step. */
  onModel?: (loaded: LoadedModel) => void;
  /** LoRA: called once the adapters are attached to the base, before the first step. */
  onAdapter?: (lora: LoraModel) => void;
}

/** What a session trains: a new model, or LoRA adapters on `base`. */
export type TrainingPlan =
  | { kind: 'scratch'; settings: TrainSettings }
  | { kind: 'lora'; settings: LoraTrainSettings; base: LoadedModel };

async function buildTokenizer(text: string, settings: TrainSettings): Promise<Tokenizer> {
  if (settings.tokenizer === 'char') return CharTokenizer.fromCorpus([text]);
  return trainBpe([text], { vocabSize: settings.bpeVocabSize });
}

/** Split a token stream into train and validation parts, each long enough for one window. */
export function splitTokens(
  ids: readonly number[],
  blockSize: number,
  validationFraction = VALIDATION_FRACTION,
): { train: Int32Array; val: Int32Array } {
  const valLength = Math.max(blockSize + 1, Math.floor(ids.length * validationFraction));
  const trainLength = ids.length - valLength;
  if (trainLength < blockSize + 1) {
    throw new RangeError(
      `The text is too short: ${ids.length} tokens, but a context of ${blockSize} needs at least ${2 * (blockSize + 1)} (train and validation). Paste more text or use a smaller context.`,
    );
  }
  const all = Int32Array.from(ids);
  return { train: all.subarray(0, trainLength), val: all.subarray(trainLength) };
}

/** A run with a state machine: running ⇄ paused → stopping → idle. */
export class TrainingSession {
  readonly #text: string;
  readonly #plan: TrainingPlan;
  readonly #abort = new AbortController();
  #state: TrainState = 'idle';
  #resume: (() => void) | undefined;
  #gate: Promise<void> | undefined;
  #emit: TrainingRunOptions['emit'] = () => {};
  #pausedMs = 0;

  constructor(text: string, plan: TrainSettings | TrainingPlan) {
    if (typeof text !== 'string' || text.trim() === '') {
      throw new TypeError('Training needs some text: paste it or use the sample.');
    }
    this.#text = text;
    this.#plan = 'kind' in plan ? plan : { kind: 'scratch', settings: plan };
  }

  /** True from `run()` until it returns. */
  get isActive(): boolean {
    return this.#state !== 'idle';
  }

  get state(): TrainState {
    return this.#state;
  }

  /** Pause at the next step boundary, resume, or stop (the run then returns). */
  control(action: 'pause' | 'resume' | 'stop'): TrainState {
    if (this.#state === 'idle' || this.#state === 'stopping') return this.#state;
    if (action === 'pause' && this.#state === 'running') {
      this.#gate = new Promise((resolve) => {
        this.#resume = resolve;
      });
      this.#setState('paused');
    } else if (action === 'resume' && this.#state === 'paused') {
      this.#release();
      this.#setState('running');
    } else if (action === 'stop') {
      this.#abort.abort();
      this.#release();
      this.#setState('stopping');
    }
    return this.#state;
  }

  #setState(state: TrainState): void {
    this.#state = state;
    this.#emit({ type: 'state', state });
  }

  #release(): void {
    this.#resume?.();
    this.#resume = undefined;
    this.#gate = undefined;
  }

  /** Batches wait here while paused, so the trainer stops between steps; time paused is counted. */
  #pausable(source: TrainingBatchSource): TrainingBatchSource {
    return {
      next: async () => {
        // Each step boundary lets pause/stop and sample requests in.
        await yieldToEventLoop();
        if (this.#gate) {
          const started = performance.now();
          await this.#gate;
          this.#pausedMs += performance.now() - started;
        }
        return source.next();
      },
      getState: () => source.getState(),
      setState: (state) => source.setState(state),
    };
  }

  /** A new model and a tokenizer trained on the text. */
  async #prepareScratch(
    settings: TrainSettings,
    options: TrainingRunOptions,
  ): Promise<{ model: TrainableModel; tokenizer: Tokenizer }> {
    options.emit({ type: 'status', message: `Building the ${settings.tokenizer} tokenizer…` });
    const tokenizer = await buildTokenizer(this.#text, settings);
    const config = resolveConfig({
      preset: 'gpt2',
      vocabSize: tokenizer.vocabSize,
      nPositions: settings.blockSize,
      nEmbd: settings.nEmbd,
      nLayer: settings.nLayer,
      nHead: settings.nHead,
      // Small data, few steps: dropout would only slow the visible fall of the loss.
      embdPdrop: 0,
      attnPdrop: 0,
      residPdrop: 0,
    });
    const model = GPT2Model.create(config, { seed: settings.seed });
    options.onModel?.({ model, tokenizer, source: 'trained in this browser' });
    return { model, tokenizer };
  }

  /** LoRA adapters attached to the base model, which keeps its tokenizer. */
  #prepareLora(
    settings: LoraTrainSettings,
    base: LoadedModel,
    options: TrainingRunOptions,
  ): { model: TrainableModel; tokenizer: Tokenizer } {
    const { nPositions } = base.model.config;
    if (settings.blockSize > nPositions) {
      throw new RangeError(
        `Context ${settings.blockSize} exceeds the model's ${nPositions} positions: use ${nPositions} or less.`,
      );
    }
    const lora = addLora(base.model, {
      r: settings.r,
      alpha: settings.alpha,
      dropout: settings.dropout,
      targets: settings.targets,
      seed: settings.seed,
    });
    options.onAdapter?.(lora);
    return { model: lora, tokenizer: base.tokenizer };
  }

  /** Train until `maxSteps` or stop. */
  async run(options: TrainingRunOptions) {
    this.#emit = options.emit;
    this.#setState('running');
    const plan = this.#plan;
    const { settings } = plan;
    try {
      const { model, tokenizer } =
        plan.kind === 'scratch'
          ? await this.#prepareScratch(plan.settings, options)
          : this.#prepareLora(plan.settings, plan.base, options);
      const ids = tokenizer.encode(this.#text, { allowedSpecial: 'all' });
      const { train, val } = splitTokens(ids, settings.blockSize);
      options.emit({
        type: 'status',
        message: `${ids.length.toLocaleString()} tokens (vocabulary ${tokenizer.vocabSize}): ${train.length.toLocaleString()} train, ${val.length.toLocaleString()} validation.`,
      });
      const sampler = (tokens: Int32Array, seed: number) =>
        createBatchSampler(tokenDatasetFromArray(tokens), {
          batchSize: settings.batchSize,
          blockSize: settings.blockSize,
          seed,
        });
      let lastStepAt = performance.now();
      let pausedAtLastStep = 0;
      const trainer = createTrainer({
        model,
        train: this.#pausable(sampler(train, settings.seed)),
        val: sampler(val, settings.seed + 1),
        tokenizer,
        signal: this.#abort.signal,
        config: {
          maxSteps: settings.maxSteps,
          evalInterval: settings.evalInterval,
          evalBatches: EVAL_BATCHES,
          keepBest: false,
          schedule: {
            type: 'cosine',
            maxLr: settings.learningRate,
            minLr: settings.learningRate / 10,
            warmupSteps: Math.min(20, Math.floor(settings.maxSteps / 10)),
            decaySteps: settings.maxSteps,
          },
        },
        onEvent: (event: TrainerEvent) => {
          if (event.type === 'step') {
            const now = performance.now();
            const ms = Math.max(1e-3, now - lastStepAt - (this.#pausedMs - pausedAtLastStep));
            lastStepAt = now;
            pausedAtLastStep = this.#pausedMs;
            options.emit({
              type: 'step',
              step: event.step,
              totalSteps: settings.maxSteps,
              loss: event.loss,
              tokensPerSecond: (event.tokens * 1000) / ms,
              learningRate: event.lr,
            });
          } else if (event.type === 'eval') {
            options.emit({ type: 'eval', step: event.step, valLoss: event.valLoss });
          }
        },
      });
      try {
        const result = await trainer.run();
        return {
          steps: result.step,
          finalLoss: result.losses[result.losses.length - 1] ?? Number.NaN,
          valLoss: result.valLoss,
          reason: result.reason,
        };
      } finally {
        trainer.dispose();
      }
    } finally {
      this.#release();
      this.#setState('idle');
    }
  }
}
