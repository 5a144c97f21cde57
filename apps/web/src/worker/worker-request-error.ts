import type { WireError } from './protocol.js';

const marker = Symbol.for('gpt2.error.WorkerRequestError');

/** A request the model worker failed; the message is the worker's, and `remoteName` its class. */
export class WorkerRequestError extends Error {
  readonly [marker] = true;
  override readonly name = 'WorkerRequestError';
  /** The class name of the error thrown in the worker, e.g. `BackendUnavailableError`. */
  readonly remoteName: string;
  /** The request type that failed, e.g. `load-model`. */
  readonly requestType: string;

  constructor(options: { requestType: string; error: WireError }) {
    super(options.error.message);
    this.remoteName = options.error.name;
    this.requestType = options.requestType;
  }

  /** True for errors of this class, even across duplicate module instances. */
  static isInstance(error: unknown): error is WorkerRequestError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
