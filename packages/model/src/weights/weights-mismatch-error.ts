const marker = Symbol.for('gpt2.error.WeightsMismatchError');

/** A checkpoint tensor whose shape differs from the model's parameter. */
export interface MisshapenTensor {
  /** Parameter name (HF GPT-2 name, without the `transformer.` prefix). */
  key: string;
  expectedShape: number[];
  actualShape: number[];
}

/** A checkpoint tensor whose dtype cannot become a float32 parameter. */
export interface WrongDtypeTensor {
  key: string;
  /** The checkpoint's safetensors dtype, e.g. `'I64'`. */
  dtype: string;
}

/** Longest list a message spells out; the fields always hold everything. */
const LISTED = 12;

function list(label: string, items: string[]): string {
  if (items.length === 0) return '';
  const shown = items.slice(0, LISTED).join(', ');
  const more = items.length > LISTED ? `, … and ${items.length - LISTED} more` : '';
  return `\n  ${label} (${items.length}): ${shown}${more}`;
}

function sameShapeReversed(a: number[], b: number[]): boolean {
  return a.length === 2 && b.length === 2 && a[0] === b[1] && a[1] === b[0] && a[0] !== a[1];
}

/**
 * A checkpoint's tensors do not fit the model: some parameters have no tensor,
 * some tensors have no parameter, some have another shape or an unusable dtype,
 * or an untied `lm_head.weight` differs from the tied `wte.weight`. Thrown once,
 * listing every problem, before any weight is assigned (the lm_head check runs
 * when its data arrives).
 */
export class WeightsMismatchError extends Error {
  readonly [marker] = true;
  override readonly name = 'WeightsMismatchError';
  /** Where the checkpoint came from (file, URL, `'buffer'`). */
  readonly source: string;
  /** Model parameters with no tensor in the checkpoint. */
  readonly missing: string[];
  /** Checkpoint tensors (names as stored) with no model parameter. */
  readonly unexpected: string[];
  /** Tensors present on both sides with different shapes. */
  readonly misshapen: MisshapenTensor[];
  /** Tensors with a dtype that is not a float (F32, F16, BF16, F64). */
  readonly wrongDtype: WrongDtypeTensor[];
  /** Tensors that contradict another one, e.g. `lm_head.weight` ≠ `wte.weight` for a tied model. */
  readonly conflicting: string[];

  constructor(options: {
    source: string;
    missing?: string[];
    unexpected?: string[];
    misshapen?: MisshapenTensor[];
    wrongDtype?: WrongDtypeTensor[];
    conflicting?: string[];
  }) {
    const missing = options.missing ?? [];
    const unexpected = options.unexpected ?? [];
    const misshapen = options.misshapen ?? [];
    const wrongDtype = options.wrongDtype ?? [];
    const conflicting = options.conflicting ?? [];
    const shapes = misshapen.map(
      (m) =>
        `${m.key} [${m.actualShape.join(', ')}] (model [${m.expectedShape.join(', ')}]` +
        (sameShapeReversed(m.actualShape, m.expectedShape)
          ? '; transposed? GPT-2 stores Conv1D weights as [in, out], nn.Linear as [out, in])'
          : ')'),
    );
    super(
      `The checkpoint ${options.source} does not match the model:` +
        list('missing', missing) +
        list('unexpected', unexpected) +
        list('misshapen', shapes) +
        list(
          'wrong dtype',
          wrongDtype.map((w) => `${w.key} ${w.dtype} (need F32, F16, BF16 or F64)`),
        ) +
        list('conflicting', conflicting),
    );
    this.source = options.source;
    this.missing = missing;
    this.unexpected = unexpected;
    this.misshapen = misshapen;
    this.wrongDtype = wrongDtype;
    this.conflicting = conflicting;
  }

  /** True for errors of this class, even across duplicate installs of this package. */
  static isInstance(error: unknown): error is WeightsMismatchError {
    return typeof error === 'object' && error !== null && marker in error;
  }
}
