const marker = Symbol.for('gpt2.error.WebGpuError');

/** What went wrong on the WebGPU device. */
export type WebGpuErrorKind =
  /** A program would exceed a device limit; caught before dispatch, nothing ran. */
  | 'limit'
  /** The device rejected a call (a `GPUValidationError`); the results of its batch are garbage. */
  | 'validation'
  /** An allocation failed (`GPUOutOfMemoryError`). */
  | 'out-of-memory'
  /** The implementation failed (`GPUInternalError`), e.g. a shader too large to compile. */
  | 'internal'
  /** The device was lost (driver reset, crash, destroyed); every later op fails too. */
  | 'device-lost';

/**
 * An error from the WebGPU device, raised in place of the silent garbage that
 * tfjs would otherwise return. It names the program (tfjs's kernel
 * implementation) and, for limits, the limit, what was needed and what the
 * device allows. `hint` says what to do.
 */
export class WebGpuError extends Error {
  readonly [marker] = true;
  override readonly name = 'WebGpuError';
  readonly kind: WebGpuErrorKind;
  /**
   * The tfjs WebGPU programs concerned: the one that failed, or for errors
   * that the device reports per batch, every program of that batch.
   */
  readonly programs: readonly string[];
  /** The device limit exceeded, e.g. `maxStorageBuffersPerShaderStage`, when known. */
  readonly limit: string | undefined;
  /** What the program needed, in the limit's unit. */
  readonly required: number | undefined;
  /** What the device allows. */
  readonly available: number | undefined;
  readonly hint: string;

  constructor(options: {
    kind: WebGpuErrorKind;
    message: string;
    programs: readonly string[];
    hint: string;
    limit?: string;
    required?: number;
    available?: number;
    cause?: unknown;
  }) {
    super(`${options.message}\n  What to do: ${options.hint}`, { cause: options.cause });
    this.kind = options.kind;
    this.programs = options.programs;
    this.limit = options.limit;
    this.required = options.required;
    this.available = options.available;
    this.hint = options.hint;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is WebGpuError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
