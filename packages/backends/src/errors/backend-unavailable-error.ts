const marker = Symbol.for('gpt2.error.BackendUnavailableError');

/** Why a backend could not be used. */
export type BackendUnavailableReason =
  /** The backend's package is not installed. */
  | 'missing'
  /** The package is installed but does not load (e.g. no libtensorflow, wrong CUDA). */
  | 'broken'
  /** It loaded, but tfjs did not activate it (a failed `setBackend` falls back silently). */
  | 'not-activated'
  /** It cannot run in this environment (e.g. WebGL in Node). */
  | 'unsupported';

/**
 * A backend that was asked for cannot be used. `message` says why and how to fix it;
 * `hint` holds the fix alone, for UIs that show it separately.
 */
export class BackendUnavailableError extends Error {
  readonly [marker] = true;
  override readonly name = 'BackendUnavailableError';
  readonly backend: string;
  readonly reason: BackendUnavailableReason;
  readonly hint: string;

  constructor(options: {
    backend: string;
    reason: BackendUnavailableReason;
    message: string;
    hint: string;
    cause?: unknown;
  }) {
    super(`${options.message}\n  How to fix: ${options.hint}`, { cause: options.cause });
    this.backend = options.backend;
    this.reason = options.reason;
    this.hint = options.hint;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is BackendUnavailableError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
