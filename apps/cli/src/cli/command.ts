/** The kinds of value an option takes. `strings` may repeat (`--file a --file b`). */
export type OptionType = 'string' | 'boolean' | 'number' | 'integer' | 'strings';

/** One `--name` option of a command. */
export interface OptionSpec {
  type: OptionType;
  /** One help line. */
  description: string;
  /** Single-letter alias, e.g. `o` for `-o`. */
  short?: string;
  /** Placeholder in help, e.g. `DIR`. Default: the type in capitals. */
  valueName?: string;
  /** Value when the option is absent. Shown in help. */
  default?: string | number | boolean;
  /** Accepted values for a string option. */
  choices?: readonly string[];
  /** Smallest accepted value for a number or integer option. */
  min?: number;
  /** Largest accepted value for a number or integer option. */
  max?: number;
}

/** A positional argument, for help and arity checks. */
export interface PositionalSpec {
  name: string;
  description: string;
  /** Default: true. */
  required?: boolean;
  /** Takes all remaining arguments (only the last one may). */
  variadic?: boolean;
}

/** What a command accepts, from which its help text and parser are built. */
export interface CommandSpec {
  /** Full name, e.g. `sample` or `tokenizer train`. */
  name: string;
  /** One line, shown in `gpt2 --help`. */
  summary: string;
  /** A paragraph shown under the usage line. */
  description?: string;
  positionals: readonly PositionalSpec[];
  options: Readonly<Record<string, OptionSpec>>;
  /** Example command lines, shown at the end of the help. */
  examples?: readonly string[];
  /**
   * Collect unknown `--key value` pairs (e.g. config overrides for `train`)
   * instead of rejecting them. Default: false.
   */
  passThroughOptions?: {
    /** How help describes them, e.g. `--key value  override a config key`. */
    description: string;
  };
}

type ValueOf<O extends OptionSpec> = O['type'] extends 'boolean'
  ? boolean
  : O['type'] extends 'number' | 'integer'
    ? number
    : O['type'] extends 'strings'
      ? string[]
      : string;

/** Parsed option values, typed from a spec: options with a default are never undefined. */
export type OptionValues<Options extends Readonly<Record<string, OptionSpec>>> = {
  -readonly [K in keyof Options]: Options[K] extends { default: string | number | boolean }
    ? ValueOf<Options[K]>
    : Options[K]['type'] extends 'boolean' | 'strings'
      ? ValueOf<Options[K]>
      : ValueOf<Options[K]> | undefined;
};

/** A parsed command line. */
export interface ParsedCommand<Spec extends CommandSpec> {
  /** The command's options, plus the `help` and `verbose` flags every command has. */
  values: OptionValues<Spec['options']> & { help: boolean; verbose: boolean };
  positionals: string[];
  /** Unknown `--key value` pairs in order, when the spec passes them through. */
  extra: Array<[key: string, value: string]>;
}
