import { BACKEND_NAMES } from '@gpt2/backends';
import type { CommandSpec, OptionSpec } from '../cli/command.js';

/** Values `--backend` accepts. */
export const BACKEND_CHOICES: readonly string[] = ['auto', ...BACKEND_NAMES];

/** The `--backend` option every command takes. */
export const backendOption = {
  type: 'string',
  valueName: 'NAME',
  default: 'auto',
  description: `compute backend: ${BACKEND_CHOICES.join('|')}; GPT2_BACKEND overrides it`,
} as const satisfies OptionSpec;

/** The `--tokenizer` option: `gpt2` or a tokenizer.json written by `gpt2 tokenizer train`. */
export const tokenizerOption = {
  type: 'string',
  valueName: 'gpt2|FILE',
  default: 'gpt2',
  description: "'gpt2' (OpenAI's 50,257-token BPE) or a tokenizer.json from `gpt2 tokenizer train`",
} as const satisfies OptionSpec;

/** Default vocabulary size for `tokenizer train` (BPE and WordPiece). */
export const DEFAULT_TOKENIZER_VOCAB = 4096;

const inputPositional = {
  name: 'FILES',
  description: 'input files (default: stdin; - is stdin)',
  required: false,
  variadic: true,
} as const;

/*
 * Every command's options and help, in one place. Kept free of package imports
 * (other than @gpt2/backends' names) so that `--help` works, and is fast, even
 * while a package is broken.
 */

export const infoSpec = {
  name: 'info',
  summary: 'backends available here, versions, and the size of a config or checkpoint',
  description:
    'Without arguments: the versions and the backend `auto` picks, with why others were skipped. With a config file, checkpoint folder or preset name: its shape, parameter count and training FLOPs per token. With --memory: the memory a training step and sampling need at --batch × --context on the selected backend (weights, gradients, AdamW moments, activations, head, workspace), against its limit.',
  positionals: [
    {
      name: 'MODEL',
      description:
        'config file, checkpoint or HF folder, or a preset name (gpt2, gpt2-medium, gpt2-tiny, ...)',
      required: false,
    },
  ],
  options: {
    backend: backendOption,
    all: {
      type: 'boolean',
      description: 'also try every backend by name (webgpu can take seconds)',
    },
    memory: {
      type: 'boolean',
      description:
        "estimate the memory of training and sampling MODEL, against the backend's limit",
    },
    batch: {
      type: 'integer',
      min: 1,
      description: 'sequences per step, for --memory (default: 1)',
    },
    context: {
      type: 'integer',
      min: 1,
      description: "tokens per sequence, for --memory (default: the model's context)",
    },
    recompute: {
      type: 'boolean',
      description: 'for --memory: training recomputes each block in the backward pass',
    },
    json: { type: 'boolean', description: 'print JSON instead of text' },
  },
  examples: [
    'gpt2 info',
    'gpt2 info gpt2-medium',
    'gpt2 info --memory gpt2 --batch 8 --context 512 --backend wasm',
    'gpt2 info .runs/quickstart/checkpoints/latest --all',
  ],
} as const satisfies CommandSpec;

export const prepareSpec = {
  name: 'prepare',
  summary: 'tokenize text or JSONL files into training shards (train/val split by document)',
  description:
    'Sources are files, folders or globs; .jsonl files are read one document per line (the "text" field). Writes llm.c-format shards and manifest.json to --out.',
  positionals: [
    { name: 'SOURCES', description: 'files, folders or globs', required: false, variadic: true },
  ],
  options: {
    tokenizer: tokenizerOption,
    out: { type: 'string', short: 'o', valueName: 'DIR', description: 'output folder (required)' },
    'val-fraction': {
      type: 'number',
      min: 0,
      max: 1,
      description: 'fraction of documents held out for validation (package default: 0.1)',
    },
    'val-documents': {
      type: 'integer',
      min: 1,
      description: 'exact number of validation documents',
    },
    'shard-tokens': { type: 'integer', min: 1, description: 'tokens per shard (default: 100M)' },
    seed: { type: 'integer', min: 0, description: 'seed of the train/val split (default: 1337)' },
    workers: {
      type: 'integer',
      min: 0,
      description:
        'tokenizer worker threads; 0 tokenizes on the main thread (default: one per core)',
    },
    brown: { type: 'boolean', description: 'use the Brown corpus (500 documents) as the source' },
    lenient: {
      type: 'boolean',
      description: 'replace invalid UTF-8 and skip bad JSONL lines instead of failing',
    },
    backend: backendOption,
  },
  examples: [
    'gpt2 prepare books/ --tokenizer tokenizer.json --out shards',
    "gpt2 prepare 'data/*.jsonl' --out shards --val-fraction 0.05",
  ],
} as const satisfies CommandSpec;

export const tokenizerTrainSpec = {
  name: 'tokenizer train',
  summary: 'train a BPE, WordPiece or char tokenizer on text files',
  positionals: [
    {
      name: 'FILES',
      description: 'UTF-8 text files, folders or globs to learn from (one document per file)',
      required: false,
      variadic: true,
    },
  ],
  options: {
    type: {
      type: 'string',
      choices: ['bpe', 'wordpiece', 'char'],
      default: 'bpe',
      description: 'kind of tokenizer',
    },
    'vocab-size': {
      type: 'integer',
      default: DEFAULT_TOKENIZER_VOCAB,
      min: 1,
      description: 'target vocabulary size, byte/special tokens included (bpe, wordpiece)',
    },
    'min-frequency': {
      type: 'integer',
      min: 1,
      description: 'never merge pairs seen fewer times (default: the package default, 2)',
    },
    out: {
      type: 'string',
      short: 'o',
      valueName: 'FILE',
      default: 'tokenizer.json',
      description: 'where to write the tokenizer',
    },
    brown: { type: 'boolean', description: 'train on the Brown corpus instead of files' },
    backend: backendOption,
  },
  examples: [
    'gpt2 tokenizer train corpus.txt --vocab-size 4096 -o tokenizer.json',
    'gpt2 tokenizer train --brown --type char -o char.json',
  ],
} as const satisfies CommandSpec;

export const tokenizerEncodeSpec = {
  name: 'tokenizer encode',
  summary: 'text to token ids, from files or stdin',
  positionals: [inputPositional],
  options: {
    tokenizer: tokenizerOption,
    json: { type: 'boolean', description: 'print a JSON array instead of space-separated ids' },
    'allow-special': {
      type: 'boolean',
      description: 'encode special tokens such as <|endoftext|> as their ids',
    },
    backend: backendOption,
  },
  examples: [
    'echo "Hello world" | gpt2 tokenizer encode',
    'gpt2 tokenizer encode a.txt --tokenizer tokenizer.json --json',
  ],
} as const satisfies CommandSpec;

export const tokenizerDecodeSpec = {
  name: 'tokenizer decode',
  summary: 'token ids to text, from files or stdin',
  positionals: [inputPositional],
  options: { tokenizer: tokenizerOption, backend: backendOption },
  examples: ['echo "15496 995" | gpt2 tokenizer decode'],
} as const satisfies CommandSpec;

export const tokenizerCountSpec = {
  name: 'tokenizer count',
  summary: 'count tokens, bytes and characters of files or stdin',
  positionals: [inputPositional],
  options: {
    tokenizer: tokenizerOption,
    json: { type: 'boolean', description: 'print JSON' },
    backend: backendOption,
  },
  examples: ['gpt2 tokenizer count book.txt --tokenizer tokenizer.json'],
} as const satisfies CommandSpec;
export const trainSpec = {
  name: 'train',
  summary: 'train a GPT-2 from scratch, fine-tune one (--init-from), or continue a run (--resume)',
  description:
    "The config file has sections model (@gpt2/model config or preset), data (shards, batchSize, blockSize, mode), training (@gpt2/trainer: maxSteps, schedule, optimizer, evalInterval, ...), lora (r, alpha, dropout, targets, useRslora, layers), initFrom, out and seed. Any key can be overridden: --maxSteps 100, --model.nLayer 4, --schedule.type cosine. Writes checkpoints/, metrics.jsonl and loss-curve.svg to the run folder; Ctrl-C stops after the current step and saves a checkpoint. With --lora.r N (and --init-from), only LoRA adapters train, beside the frozen model: --lora.alpha (scale alpha/r, default 8), --lora.dropout (default 0), --lora.targets c_attn,c_proj (PEFT's matching: c_proj is both projections, attn.c_proj only attention's; all-linear; default c_attn). Its checkpoints are PEFT adapter folders (adapter_config.json + adapter_model.safetensors) with the adapters' optimizer state; sample, eval and convert --merge take them with --adapter, and --resume reloads the base from initFrom.",
  positionals: [],
  options: {
    config: { type: 'string', short: 'c', valueName: 'FILE', description: 'train config JSON' },
    'init-from': {
      type: 'string',
      valueName: 'CHECKPOINT',
      description: 'start from these weights: a checkpoint, run folder or HF GPT-2 folder',
    },
    resume: {
      type: 'string',
      valueName: 'DIR',
      description: 'continue the run in DIR from its latest checkpoint (overrides still apply)',
    },
    out: {
      type: 'string',
      short: 'o',
      valueName: 'DIR',
      description: 'run folder (default: the config\'s "out", else .runs/train)',
    },
    'peak-flops': {
      type: 'number',
      min: 1,
      description: 'device FLOP/s for the MFU figure (default: measured with a matMul)',
    },
    'max-time': {
      type: 'string',
      valueName: 'DURATION',
      description:
        "train for this long (e.g. 8m): time the first steps, plan how many fit, and fit the schedule's warmup and decay to them (training.timeBudget)",
    },
    backend: backendOption,
  },
  passThroughOptions: {
    description: 'override a config key, e.g. --maxSteps 100 --model.nLayer 4',
  },
  examples: [
    'gpt2 train --config tiny.json',
    'gpt2 train --config tiny.json --maxSteps 50 --out .runs/try',
    'gpt2 train --config tiny.json --max-time 8m',
    'gpt2 train --resume .runs/try --maxSteps 100',
    'gpt2 train --config finetune.json --init-from ./gpt2-hf',
    'gpt2 train --init-from ./gpt2-hf --data.shards shards --lora.r 8 --lora.alpha 16 --lora.targets c_attn,c_proj --maxSteps 200 --out .runs/lora',
  ],
} as const satisfies CommandSpec;

const checkpointPositional = {
  name: 'CHECKPOINT',
  description: 'a checkpoint folder, a run folder (its best checkpoint) or an HF GPT-2 folder',
} as const;

const adapterOption = {
  type: 'string',
  valueName: 'DIR',
  description:
    'apply a LoRA adapter: a PEFT folder (adapter_config.json + adapter_model.safetensors) or a LoRA run folder',
} as const satisfies OptionSpec;

const modelTokenizerOption = {
  type: 'string',
  valueName: 'gpt2|FILE',
  description: "tokenizer (default: the one saved with the checkpoint, else 'gpt2')",
} as const satisfies OptionSpec;

export const sampleSpec = {
  name: 'sample',
  summary: 'generate text from a checkpoint, streamed to stdout as it is generated',
  description: 'The prompt comes from --prompt, --prompt-file, or stdin when it is piped.',
  positionals: [checkpointPositional],
  options: {
    prompt: { type: 'string', short: 'p', valueName: 'TEXT', description: 'text to continue' },
    'prompt-file': { type: 'string', valueName: 'FILE', description: 'read the prompt from FILE' },
    'max-new-tokens': {
      type: 'integer',
      short: 'n',
      min: 1,
      default: 200,
      description: 'tokens to generate',
    },
    temperature: {
      type: 'number',
      short: 't',
      min: 0,
      description: 'softmax temperature; 0 is greedy (default: 1)',
    },
    'top-k': { type: 'integer', min: 1, description: 'sample among the k most likely tokens' },
    'top-p': { type: 'number', min: 0, max: 1, description: 'nucleus sampling threshold' },
    'min-p': {
      type: 'number',
      min: 0,
      max: 1,
      description: 'drop tokens below min-p × the top probability',
    },
    'repetition-penalty': {
      type: 'number',
      min: 0,
      description: 'CTRL-style repetition penalty (1 = off)',
    },
    'presence-penalty': { type: 'number', description: 'OpenAI presence penalty' },
    'frequency-penalty': { type: 'number', description: 'OpenAI frequency penalty' },
    'no-repeat-ngram': {
      type: 'integer',
      min: 0,
      description: 'forbid repeating n-grams of this size',
    },
    stop: { type: 'strings', valueName: 'TEXT', description: 'stop when this text appears' },
    seed: { type: 'integer', description: 'seed for reproducible samples (default: random)' },
    'num-samples': { type: 'integer', min: 1, default: 1, description: 'independent samples' },
    'num-beams': { type: 'integer', min: 1, description: 'beam search width (deterministic)' },
    echo: { type: 'boolean', description: 'print the prompt before the generated text' },
    json: { type: 'boolean', description: 'print one JSON object per sample instead of streaming' },
    adapter: adapterOption,
    tokenizer: modelTokenizerOption,
    backend: backendOption,
  },
  examples: [
    'gpt2 sample .runs/quickstart --prompt "The jury said" -n 100 --temperature 0.8 --top-k 40',
    'echo "Once upon a time" | gpt2 sample ./gpt2-hf --seed 1',
    'gpt2 sample ./gpt2-hf --adapter .runs/lora --prompt "The jury said"',
  ],
} as const satisfies CommandSpec;

export const evalSpec = {
  name: 'eval',
  summary: 'evaluate a checkpoint: perplexity and bits per byte, LAMBADA, HellaSwag',
  description:
    'Give one or more of --text, --shards, --lambada, --hellaswag. Prints a table; --json prints JSON.',
  positionals: [checkpointPositional],
  options: {
    text: {
      type: 'string',
      valueName: 'FILE',
      description: 'perplexity and bits per byte of a text file',
    },
    shards: {
      type: 'string',
      valueName: 'DIR',
      description: 'perplexity of a shard folder (see --split)',
    },
    split: {
      type: 'string',
      choices: ['val', 'train'],
      default: 'val',
      description: 'split of --shards',
    },
    'max-tokens': {
      type: 'integer',
      min: 2,
      description: 'evaluate at most this many tokens of --shards/--text',
    },
    lambada: {
      type: 'string',
      valueName: 'FILE',
      description: 'LAMBADA JSONL ({"text": ...} per line)',
    },
    hellaswag: {
      type: 'string',
      valueName: 'FILE',
      description: 'HellaSwag JSONL (ctx, endings, label)',
    },
    limit: {
      type: 'integer',
      min: 1,
      description: 'use only the first N LAMBADA/HellaSwag examples',
    },
    stride: {
      type: 'integer',
      min: 1,
      description: 'perplexity window stride (default: the context length)',
    },
    'context-length': {
      type: 'integer',
      min: 2,
      description: "perplexity window (default: the model's)",
    },
    'batch-size': { type: 'integer', min: 1, description: 'windows or examples per forward pass' },
    json: { type: 'boolean', description: 'print JSON instead of a table' },
    adapter: adapterOption,
    tokenizer: modelTokenizerOption,
    backend: backendOption,
  },
  examples: [
    'gpt2 eval .runs/quickstart --shards .runs/quickstart/shards',
    'gpt2 eval ./gpt2-hf --lambada lambada_test.jsonl --limit 500 --json',
    'gpt2 eval ./gpt2-hf --adapter .runs/lora --shards shards',
  ],
} as const satisfies CommandSpec;

export const convertSpec = {
  name: 'convert',
  summary: "convert between our checkpoints, Hugging Face GPT-2 folders and llm.c's model.bin",
  description:
    "ours → hf writes model.safetensors + config.json that transformers' GPT2LMHeadModel.from_pretrained loads (optimizer state is dropped). hf → ours writes a model folder that sample, eval and train --init-from read, with our tokenizer file beside it. --to llmc writes llm.c's model.bin (version 3 float32, or 5 with --dtype bfloat16; vocabulary padded to a multiple of 128) and tokenizer.bin for train_gpt2cu, plus our tokenizer for the way back. --from llmc reads a model.bin (version 3 or 5), a model_<step>.bin, or an llm.c run folder (its latest complete checkpoint, with the float32 master weights of its state files when the run kept them) into our model folder; the tokenizer comes from --tokenizer, our tokenizer file beside the model, its tokenizer.bin, or GPT-2's for 50,257 tokens. The direction is detected from SOURCE unless --to/--from is given. With --adapter DIR --merge, a LoRA adapter is folded into the weights first (PEFT's merge_and_unload), so the output is a plain GPT-2 folder.",
  positionals: [
    {
      name: 'SOURCE',
      description:
        'our checkpoint or run folder, an HF GPT-2 folder, or an llm.c model.bin / run folder',
    },
  ],
  options: {
    out: { type: 'string', short: 'o', valueName: 'DIR', description: 'output folder (required)' },
    to: {
      type: 'string',
      choices: ['hf', 'ours', 'llmc'],
      description: 'target format (default: ours for HF and llm.c sources, else hf)',
    },
    from: {
      type: 'string',
      choices: ['llmc'],
      description:
        'read SOURCE as llm.c files (default: detected: a .bin file, or a folder with model.bin or model_<step>.bin)',
    },
    dtype: {
      type: 'string',
      choices: ['float32', 'bfloat16'],
      default: 'float32',
      description:
        "--to llmc precision: float32 (exact; train_gpt2cu built with PRECISION=FP32) or bfloat16 (llm.c's default build)",
    },
    'master-weights': {
      type: 'string',
      choices: ['auto', 'never'],
      default: 'auto',
      description:
        "--from llmc with a bfloat16 run checkpoint: take the float32 master weights from its state files (auto) or the file's bfloat16 values",
    },
    adapter: adapterOption,
    merge: {
      type: 'boolean',
      description: 'fold the --adapter into the weights and write the merged model',
    },
    tokenizer: modelTokenizerOption,
    backend: backendOption,
  },
  examples: [
    'gpt2 convert .runs/quickstart --out gpt2-quickstart-hf',
    'gpt2 convert ./gpt2-hf --to ours --out ./gpt2-ours',
    'gpt2 convert .runs/quickstart --to llmc --out llmc-export',
    'gpt2 convert llmc-export/model.bin --from llmc --out back',
    'gpt2 convert log124M --from llmc --out gpt2-124M-ours',
    'gpt2 convert ./gpt2-hf --adapter .runs/lora --merge --out ./gpt2-merged',
  ],
} as const satisfies CommandSpec;

export const quickstartSpec = {
  name: 'quickstart',
  summary: 'the whole job on the Brown corpus: tokenizer, shards, training, evaluation, samples',
  description:
    "Trains a BPE tokenizer on the Brown corpus, prepares shards, trains a small GPT-2 on the best backend found, evaluates it (validation perplexity and bits per byte against the unigram baseline, on the same tokens), prints samples beside the unigram baseline's, and says where the checkpoint, log, loss curve and report.json are. The default takes --time (8 minutes): the trainer times its first steps, then plans how many fit and ends its learning-rate decay on time, so a faster machine trains longer, not shorter. --steps fixes the step count instead; --long trains a bigger model for 3000 steps (about an hour on 2 cores).",
  positionals: [],
  options: {
    out: {
      type: 'string',
      short: 'o',
      valueName: 'DIR',
      default: '.runs/quickstart',
      description: 'output folder',
    },
    long: {
      type: 'boolean',
      description: 'a bigger model and a longer run (about an hour on 2 cores)',
    },
    time: {
      type: 'string',
      valueName: 'DURATION',
      description:
        'wall time of the whole quickstart, e.g. 8m, 4m30s; training fills what the other stages leave (default: 8m)',
    },
    steps: {
      type: 'integer',
      min: 1,
      description:
        'train exactly this many steps instead of filling --time (default with --long: 3000)',
    },
    'tokenizer-vocab': {
      type: 'integer',
      min: 258,
      description: 'BPE vocabulary size (default: 1024; 2048 with --long)',
    },
    'eval-tokens': {
      type: 'integer',
      min: 100,
      description: 'validation tokens to evaluate (default: 32768)',
    },
    seed: {
      type: 'integer',
      min: 0,
      default: 1337,
      description: 'seed for the split, weights and batches',
    },
    force: { type: 'boolean', description: 'replace an earlier quickstart in the output folder' },
    backend: backendOption,
  },
  examples: [
    'gpt2 quickstart',
    'gpt2 quickstart --time 3m --out .runs/short',
    'gpt2 quickstart --long --out .runs/long',
  ],
} as const satisfies CommandSpec;
export const benchSpec = {
  name: 'bench',
  summary: 'time tokenizer, model, trainer, sampler and eval on this machine; one table',
  description:
    "Runs each package's hot path through its public API on the selected backend (a 4-layer, 128-wide model unless --preset) and prints one table. The packages' own, more detailed benchmarks run with `pnpm bench` in a checkout.",
  positionals: [],
  options: {
    preset: {
      type: 'string',
      choices: ['quickstart', 'gpt2-tiny', 'gpt2-mini', 'gpt2'],
      default: 'quickstart',
      description: 'model shape to time',
    },
    repeat: { type: 'integer', min: 1, default: 3, description: 'timed repetitions of each item' },
    json: { type: 'boolean', description: 'print JSON instead of a table' },
    backend: backendOption,
  },
  examples: ['gpt2 bench', 'gpt2 bench --backend cpu --preset gpt2-tiny --json'],
} as const satisfies CommandSpec;
