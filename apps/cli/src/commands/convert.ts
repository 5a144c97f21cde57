import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { BUNDLE_FILES, type LoraModel, mergeLora, modelFromBundle } from '@gpt2/model';
import { saveModelFolder } from '@gpt2/model/node';
import { selectBackend } from '../backend.js';
import {
  applyAdapter,
  MODEL_TOKENIZER_FILE,
  readModel,
  resolveAdapterFolder,
} from '../checkpoint.js';
import type { ParsedCommand } from '../cli/command.js';
import type { CliContext } from '../cli/context.js';
import { UserError } from '../errors/user-error.js';
import { ensureWritableDirectory, resolvePath } from '../io/files.js';
import { saveTokenizer } from '../tokenizer-file.js';
import { convertFromLlmc, convertToLlmc, isLlmcSource } from './convert-llmc.js';
import type { convertSpec } from './specs.js';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** `gpt2 convert`: see its spec in specs.ts. */
export async function runConvert(
  parsed: ParsedCommand<typeof convertSpec>,
  context: CliContext,
): Promise<void> {
  const { values, positionals } = parsed;
  if (values.out === undefined) throw new UserError('--out DIR is required.');
  if (values.merge && values.adapter === undefined) {
    throw new UserError('--merge needs --adapter DIR: the LoRA adapter to fold into the weights.');
  }
  if (values.adapter !== undefined && !values.merge) {
    throw new UserError(
      'convert applies an adapter only to merge it: add --merge (sample and eval take --adapter as it is).',
    );
  }
  const source = resolvePath(context, positionals[0]!);
  if (!(await exists(source))) throw new UserError(`'${positionals[0]}' does not exist.`);
  const out = resolvePath(context, values.out);
  if (out === source) throw new UserError('--out must differ from the source folder.');
  const llmc = values.from === 'llmc' || values.to === 'llmc' || (await isLlmcSource(source));
  if (llmc && values.adapter !== undefined) {
    throw new UserError(
      '--adapter --merge reads and writes our and Hugging Face folders: merge into one of those first, then convert it to or from llm.c.',
    );
  }
  if (values.from === 'llmc' || (await isLlmcSource(source))) {
    if (values.to === 'llmc') {
      throw new UserError(
        `'${positionals[0]}' is already llm.c's format: --to llmc needs our checkpoint or an HF folder.`,
      );
    }
    return convertFromLlmc(parsed, context, source, out);
  }
  if (values.to === 'llmc') return convertToLlmc(parsed, context, out);
  // The adapter is found first, so a wrong --adapter fails before the base is read.
  const adapterFolder =
    values.adapter === undefined ? undefined : await resolveAdapterFolder(context, values.adapter);
  const bundle = await readModel(context, positionals[0]!, { tokenizer: values.tokenizer });
  const folder = bundle.location;
  const isOurs =
    (await exists(join(folder, BUNDLE_FILES.trainerState))) ||
    (await exists(join(folder, MODEL_TOKENIZER_FILE)));
  const to = values.to ?? (isOurs ? 'hf' : 'ours');
  if (out === folder) throw new UserError('--out must differ from the source folder.');
  await ensureWritableDirectory(out);
  await selectBackend(values.backend, context);
  // Loading checks every tensor's name, shape and dtype; saving writes the HF
  // layout. Both formats share it, so the two directions differ only in the
  // files written beside the weights.
  const { model, tokenizer } = await modelFromBundle(bundle);
  let lora: LoraModel | undefined;
  try {
    if (adapterFolder !== undefined) {
      lora = await applyAdapter(context, model, adapterFolder);
      // A final merge (PEFT's merge_and_unload): no copy of the original weights is kept.
      mergeLora(lora, { keepOriginals: false });
    }
    await saveModelFolder(model, out);
    if (to === 'ours') await saveTokenizer(join(out, MODEL_TOKENIZER_FILE), tokenizer);
  } finally {
    lora?.dispose();
    model.dispose();
  }
  context.stderr.write(
    `converted ${folder} (${isOurs ? 'ours' : 'hf'})${lora ? ' with the LoRA adapter merged' : ''} → ${out} (${to}); tokenizer ${tokenizer.name}${to === 'hf' && tokenizer.name !== 'gpt2' ? " (not written: HF folders hold only GPT-2's tokenizer; keep your tokenizer.json)" : ''}\n`,
  );
  context.stdout.write(`${out}\n`);
}
