const marker = Symbol.for('gpt2.error.LoraAdapterError');

/** What is wrong with an adapter. */
export type LoraAdapterProblem =
  /** adapter_config.json is missing, not JSON, or a field has a bad value. */
  | 'config'
  /** A PEFT feature this implementation does not run (DoRA, trained biases, modules_to_save, …). */
  | 'unsupported'
  /** `target_modules` names modules this model does not have or LoRA cannot adapt. */
  | 'target-modules'
  /** A tensor the config calls for is not in the weights file. */
  | 'missing-tensor'
  /** The weights file has a tensor no adapted layer takes. */
  | 'unexpected-tensor'
  /** A tensor's width does not match the model's layer: the adapter was made for another base. */
  | 'base-shape'
  /** A tensor's rank dimension does not match `r` (or `rank_pattern`) in the config. */
  | 'rank';

/**
 * A LoRA adapter (PEFT `adapter_config.json` + `adapter_model.safetensors`)
 * cannot be applied to this model. Thrown before any weight is changed.
 */
export class LoraAdapterError extends Error {
  readonly [marker] = true;
  override readonly name = 'LoraAdapterError';
  /** Where the adapter came from (a folder, file name, or `'adapter'`). */
  readonly source: string;
  readonly problem: LoraAdapterProblem;
  /** The tensor at fault, as named in the file, when there is one. */
  readonly tensor: string | undefined;
  /** The shape the model needs, for `base-shape` and `rank`. */
  readonly expectedShape: number[] | undefined;
  /** The shape in the file, for `base-shape` and `rank`. */
  readonly actualShape: number[] | undefined;

  constructor(options: {
    source: string;
    problem: LoraAdapterProblem;
    message: string;
    tensor?: string;
    expectedShape?: number[];
    actualShape?: number[];
    cause?: unknown;
  }) {
    super(`LoRA adapter ${options.source}: ${options.message}`, { cause: options.cause });
    this.source = options.source;
    this.problem = options.problem;
    this.tensor = options.tensor;
    this.expectedShape = options.expectedShape;
    this.actualShape = options.actualShape;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is LoraAdapterError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
